"""`crmsync-sandbox serve`: both emulated CRMs in one process, on one asyncio loop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import shlex
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from crmsync_sandbox.common import CallCounter, ensure_tls
from crmsync_sandbox.config import (
    DEFAULT_FORCEMANAGER_TOKEN_TTL,
    DEFAULT_HOST,
    DEFAULT_SALESFORCE_TOKEN_TTL,
    SandboxConfig,
)
from crmsync_sandbox.exceptions import SandboxError

logger = logging.getLogger("crmsync_sandbox")

ENV_FILE = "sandbox.env"
READY_FILE = "ready"
SYSTEMS = ("salesforce", "forcemanager")

#: Seconds uvicorn lets open requests finish on shutdown before closing them.
_GRACEFUL_SHUTDOWN_S = 5
#: Pending connections per listening socket; benchmarks open many at once.
_BACKLOG = 2048

AppFactory = Callable[[SandboxConfig, str, CallCounter], tuple[ASGIApp, dict[str, str]]]


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the CLI, which stops both servers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: `_run` owns SIGINT and SIGTERM."""
        yield


@dataclass
class _Listener:
    """One bound socket and the app it serves."""

    name: str
    sock: socket.socket
    app: ASGIApp | None = None
    ssl: bool = False

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.sock.getsockname()[1])


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser.

    Returns:
        A parser with the `serve` command and every option of docs/contracts.md section 2.
    """
    parser = argparse.ArgumentParser(prog="crmsync-sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run both sandbox servers until SIGINT or SIGTERM")
    serve.add_argument("--data-dir", type=Path, required=True, help="where data and files live")
    serve.add_argument("--host", default=DEFAULT_HOST, help="interface to listen on")
    serve.add_argument("--salesforce-port", type=int, default=0, help="HTTPS port (0 = free)")
    serve.add_argument("--forcemanager-port", type=int, default=0, help="HTTP port (0 = free)")
    serve.add_argument("--salesforce-http-port", type=int, help="also serve Salesforce over HTTP")
    serve.add_argument("--seed", type=int, help="seed of the demo data (deterministic)")
    serve.add_argument("--size", default="small", help="small, medium, large or records/object")
    serve.add_argument("--empty", action="store_true", help="seed only users and lookups")
    serve.add_argument(
        "--bare-org",
        action="store_true",
        help="a new Salesforce org without ForceManager_Id__c (for crmsync setup salesforce)",
    )
    serve.add_argument("--latency-ms", type=int, default=0, help="latency added per request")
    serve.add_argument("--fail-rate", type=float, default=0.0, help="share of requests -> 503")
    serve.add_argument(
        "--reset-share", type=float, default=0.0, help="share of those failures -> reset"
    )
    serve.add_argument("--forcemanager-rate-limit", type=float, help="ForceManager requests/s")
    serve.add_argument(
        "--token-ttl-salesforce", type=int, default=DEFAULT_SALESFORCE_TOKEN_TTL, help="seconds"
    )
    serve.add_argument(
        "--token-ttl-forcemanager", type=int, default=DEFAULT_FORCEMANAGER_TOKEN_TTL, help="seconds"
    )
    serve.add_argument(
        "--only", choices=SYSTEMS, help="run one server only (tests of a single system)"
    )
    serve.add_argument("--log-level", default="info", help="logging level of the sandbox")
    return parser


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Build the config from parsed options.

    Args:
        args: The parsed `serve` options.

    Returns:
        The sandbox config.
    """
    size: str | int = int(args.size) if str(args.size).isdigit() else args.size
    return SandboxConfig(
        data_dir=args.data_dir.resolve(),
        seed=args.seed,
        size=size,
        empty=args.empty,
        bare_org=args.bare_org,
        latency_ms=args.latency_ms,
        fail_rate=args.fail_rate,
        reset_share=args.reset_share,
        forcemanager_rate_limit=args.forcemanager_rate_limit,
        salesforce_token_ttl=args.token_ttl_salesforce,
        forcemanager_token_ttl=args.token_ttl_forcemanager,
        host=args.host,
        salesforce_port=args.salesforce_port,
        forcemanager_port=args.forcemanager_port,
        salesforce_http_port=args.salesforce_http_port,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `crmsync-sandbox`.

    Args:
        argv: Arguments without the program name; None reads `sys.argv`.

    Returns:
        The exit status: 0 after a clean stop, 2 on a bad option or start failure.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = config_from_args(args)
        systems = (args.only,) if args.only else SYSTEMS
        asyncio.Runner(loop_factory=_loop_factory()).run(_run(config, systems))
    except (SandboxError, OSError) as error:
        logger.error("crmsync-sandbox cannot start: %s", error)
        return 2
    return 0


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # noqa: PLC0415 - optional speed-up, part of uvicorn[standard]
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _run(config: SandboxConfig, systems: Sequence[str]) -> None:
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / READY_FILE).unlink(missing_ok=True)
    tls = ensure_tls(data_dir)
    env: dict[str, str] = {}
    listeners = _bind_and_build(config, systems, env)
    servers = [_server_for(listener, tls.cert_chain, tls.private_key) for listener in listeners]
    env["REQUESTS_CA_BUNDLE"] = str(tls.ca_bundle)
    env["SANDBOX_DATA_DIR"] = str(data_dir)
    _install_signal_handlers(servers)
    serving = [
        asyncio.ensure_future(server.serve(sockets=[listener.sock]))
        for server, listener in zip(servers, listeners, strict=True)
    ]
    try:
        await _announce_when_started(servers, serving, data_dir, env)
        await asyncio.gather(*serving)
    finally:
        (data_dir / READY_FILE).unlink(missing_ok=True)
        for listener in listeners:
            listener.sock.close()


def _bind_and_build(
    config: SandboxConfig, systems: Sequence[str], env: dict[str, str]
) -> list[_Listener]:
    listeners: list[_Listener] = []
    factories = {system: _factory(system) for system in systems}
    if factories.get("salesforce"):
        sf = _Listener("Salesforce", _bind(config.host, config.salesforce_port), ssl=True)
        root = f"https://{config.host}:{sf.port}"
        sf.app, entries = factories["salesforce"](config, root, CallCounter())  # type: ignore[misc]
        env.update(entries)
        env["SANDBOX_SALESFORCE_URL"] = root
        listeners.append(sf)
        if config.salesforce_http_port is not None:
            plain = _Listener(
                "Salesforce (plain HTTP)", _bind(config.host, config.salesforce_http_port)
            )
            plain.app = sf.app
            env["SANDBOX_SALESFORCE_HTTP_URL"] = f"http://{config.host}:{plain.port}"
            listeners.append(plain)
    if factories.get("forcemanager"):
        fm = _Listener("ForceManager", _bind(config.host, config.forcemanager_port))
        root = f"http://{config.host}:{fm.port}"
        fm.app, entries = factories["forcemanager"](config, root, CallCounter())  # type: ignore[misc]
        env.update(entries)
        env["SANDBOX_FORCEMANAGER_URL"] = root
        listeners.append(fm)
    if not listeners:
        raise SandboxError("no server to run")
    return listeners


def _factory(system: str) -> AppFactory | None:
    """Import a server module lazily; a missing module is skipped with a warning."""
    module_name = f"crmsync_sandbox.{system}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        logger.warning("the %s sandbox is not installed; serving without it", system)
        return None
    factory: AppFactory = module.create_app
    return factory


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(_BACKLOG)
    sock.set_inheritable(True)
    return sock


def _server_for(listener: _Listener, cert_chain: Path, private_key: Path) -> _Server:
    ssl_options: dict[str, str] = {}
    if listener.ssl:
        ssl_options = {"ssl_certfile": str(cert_chain), "ssl_keyfile": str(private_key)}
    config = uvicorn.Config(
        listener.app,  # type: ignore[arg-type]
        log_level="warning",
        access_log=False,
        lifespan="auto",
        server_header=False,
        backlog=_BACKLOG,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
        **ssl_options,  # type: ignore[arg-type]
    )
    server = _Server(config)
    server.listener = listener  # type: ignore[attr-defined]
    return server


def _install_signal_handlers(servers: Sequence[_Server]) -> None:
    loop = asyncio.get_running_loop()

    def stop(signum: signal.Signals) -> None:
        logger.info("received %s, stopping", signum.name)
        for server in servers:
            server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)


async def _announce_when_started(
    servers: Sequence[_Server],
    serving: Sequence[asyncio.Future[None]],
    data_dir: Path,
    env: dict[str, str],
) -> None:
    while not all(server.started for server in servers):
        if any(task.done() for task in serving):
            return
        await asyncio.sleep(0.01)
    for server in servers:
        listener: _Listener = server.listener  # type: ignore[attr-defined]
        scheme = "https" if listener.ssl else "http"
        logger.info("%s sandbox at %s://%s", listener.name, scheme, _address(listener))
    write_env_file(data_dir / ENV_FILE, env)
    (data_dir / READY_FILE).write_text(f"{os.getpid()}\n", encoding="utf-8")


def _address(listener: _Listener) -> str:
    host, port = listener.sock.getsockname()[:2]
    return f"{host}:{port}"


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """Write shell `KEY=value` lines, quoted for the shell, atomically.

    Args:
        path: The file to write (`DIR/sandbox.env`).
        env: The variables.
    """
    lines = [f"{key}={shlex.quote(value)}\n" for key, value in sorted(env.items())]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
