"""Secrets and customer data at rest (docs/contracts.md section 4, the secrets bullet).

Cycles are started as an external test or a plain shell starts them (`meltano run` with the
umask 022) and killed with SIGKILL to their process group during the extract, the plan and the
apply. Afterwards no secret is in any file under the project or beside the warehouse, in any
warehouse table or in any captured output, and nothing the sync wrote is readable by group or
others.
"""

from __future__ import annotations

import base64
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import duckdb
import pytest
import requests

from crmsync.local import PROJECT_ROOT, LocalSync

from .crm import fm_by_ext_id, sf_live

pytestmark = pytest.mark.slow

#: The secrets of sandbox.env (docs/contracts.md section 4: not the client id or the public key).
SECRET_VARIABLES = (
    "SALESFORCE_CLIENT_SECRET",
    "SALESFORCE_PASSWORD",
    "SALESFORCE_SECURITY_TOKEN",
    "SALESFORCE_REFRESH_TOKEN",
    "FORCEMANAGER_PRIVATE_KEY",
)
#: A plain shell's umask: the jobs themselves must leave owner-only files.
PLAIN_SHELL_UMASK = 0o022
#: Never the sync's: the repository's tooling, and what the test process itself writes.
PROJECT_EXCLUDED = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
#: The moments a cycle is killed at: a process whose arguments hold all these words.
MOMENTS = {
    "extract": ("tap-salesforce",),
    "plan": ("dbt-launcher", "tag:plan"),
    "apply": ("target-forcemanager",),
}
JOB_TIMEOUT_S = 600.0
MELTANO = str(Path(sys.executable).with_name("meltano"))


class Cycles:
    """`meltano run` as a plain shell runs it, every output captured in `captured`."""

    def __init__(self, sync: LocalSync, captured: Path) -> None:
        self.sync = sync
        self.captured = captured
        captured.mkdir()
        self.count = 0

    def start(self, job: str, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
        self.count += 1
        log = self.captured / f"{self.count:02d}-{job}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("meltano")),
                    "--environment=sandbox",
                    "run",
                    job,
                ],
                cwd=PROJECT_ROOT,
                env=self.sync.environment(MELTANO_RUN_FORCE="true", **env),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                umask=PLAIN_SHELL_UMASK,
            )
        return process, log

    def run(self, job: str, **env: str) -> None:
        process, log = self.start(job, **env)
        code = process.wait(timeout=JOB_TIMEOUT_S)
        assert code == 0, log.read_text(errors="replace")[-4000:]

    def kill_during(self, moment: str, job: str = "sync-incremental") -> None:
        """Start `job` and SIGKILL its process group once the `moment`'s process runs."""
        process, log = self.start(job)
        words = MOMENTS[moment]
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while not _group_runs(process.pid, words):
            assert process.poll() is None, f"ended before the {moment}: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no {moment} within {JOB_TIMEOUT_S} s"
            time.sleep(0.02)
        time.sleep(0.5)  # inside the step's work, not its start-up
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 30
        while _group_runs(process.pid, ()):  # the plugins die with the group, a moment later
            assert time.monotonic() < deadline, "a process of the killed cycle survived"
            time.sleep(0.05)


def _group_runs(group: int, words: tuple[str, ...]) -> bool:
    """Whether a live process of process group `group` has all `words` in its arguments."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            arguments = (entry / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" or int(fields[2]) != group:
            continue
        if all(word in arguments for word in words):
            return True
    return False


def _needles(sync: LocalSync) -> dict[str, bytes]:
    """Every secret as it could be written: raw, URL-encoded, base64."""
    values = {name: sync.sandbox.env[name] for name in SECRET_VARIABLES}
    for system in ("salesforce", "forcemanager"):
        response = requests.get(
            f"{sync.sandbox.root_url(system)}/__sandbox/sessions",
            verify=sync.sandbox.ca_bundle,
            timeout=10,
        )
        if response.status_code == 200:  # access tokens and session keys, where listed
            for number, token in enumerate(response.json().get("tokens", [])):
                values[f"{system} token {number}"] = str(token)
    needles: dict[str, bytes] = {}
    for name, value in values.items():
        raw = value.encode()
        assert len(raw) >= 8, f"{name} is too short to search for"
        for form, encoded in (
            ("raw", raw),
            ("url", quote(value, safe="").encode()),
            ("url+", quote_plus(value).encode()),
            ("base64", base64.b64encode(raw).rstrip(b"=")),
            ("base64url", base64.urlsafe_b64encode(raw).rstrip(b"=")),
        ):
            needles[f"{name} ({form})"] = encoded
    return needles


def _walk(root: Path, excluded: set[str], skip: set[Path]) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in excluded and Path(folder, d) not in skip]
        yield Path(folder)
        for name in files:
            yield Path(folder, name)


def _written_since(started: float, sync: LocalSync, captured: Path) -> list[Path]:
    """Everything under the project and the sync's folder written or changed since `started`.

    The sandbox generated its credentials after `started`, so no older file can hold one.
    """
    sandbox = sync.sandbox.data_dir  # its own data (with the credentials) and log
    # other tests' artefacts (a report screenshot kept for people to look at) are not a sync's
    artefacts = PROJECT_ROOT / "output" / "test-artifacts"
    skip = {
        sandbox,
        sandbox.with_name(f"{sandbox.name}.log"),
        captured,
        sync.settings_file,
        artefacts,
    }
    paths = [
        *_walk(PROJECT_ROOT, PROJECT_EXCLUDED, skip),
        *_walk(sync.directory, {"__pycache__"}, skip),
    ]
    written = []
    for path in paths:
        if path in skip:
            continue
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISLNK(info.st_mode) and max(info.st_mtime, info.st_ctime) >= started:
            written.append(path)
    return written


def _tracked_files() -> set[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True
    ).stdout
    return {PROJECT_ROOT / name.decode() for name in listed.split(b"\0") if name}


def _warehouse_text(warehouse: Path) -> bytes:
    """Every value of every table and view in the warehouse, as text."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        chunks = []
        for schema, table in relations:
            rows = connection.execute(f'select * from "{schema}"."{table}"').fetchall()
            chunks.append(repr(rows))
    return "\n".join(chunks).encode()


def _assert_no_secret_and_owner_only(
    started: float, sync: LocalSync, captured: Path, *, tables: bool
) -> None:
    needles = _needles(sync)
    written = _written_since(started, sync, captured)
    assert sync.warehouse in written
    assert any(p.suffix == ".jsonl" for p in written), "no sync-log file was checked"
    sources: list[tuple[str, Path | None, bytes]] = []
    for path in written:
        if path.is_file():
            sources.append((str(path), path, path.read_bytes()))
    for path in sorted(captured.iterdir()):
        sources.append((f"output {path.name}", path, path.read_bytes()))
    if tables:
        sources.append(("warehouse tables", None, _warehouse_text(sync.warehouse)))
    found = [
        f"{needle} in {where}"
        for where, _, content in sources
        for needle, encoded in needles.items()
        if encoded in content
    ]
    assert not found, "secrets at rest:\n" + "\n".join(found[:20])

    sources_in_git = _tracked_files()
    readable = [
        f"{oct(stat.S_IMODE(path.lstat().st_mode))} {path}"
        for path in written
        if path.exists()
        and path not in sources_in_git  # the repository's own files, edited by a developer
        and stat.S_IMODE(path.lstat().st_mode) & 0o077
    ]
    assert not readable, "readable by group or others:\n" + "\n".join(readable[:40])


@pytest.mark.serial  # every file written under the project meanwhile is read as this sync's
def test_killed_cycles_leave_no_secret_and_only_owner_readable_files(
    local_sync: Callable[..., LocalSync], tmp_path: Path
) -> None:
    started = time.time() - 1
    # Latency keeps each step running long enough to be killed inside it.
    sync = local_sync(latency_ms=50)
    cycles = Cycles(sync, tmp_path / "captured")
    cycles.run("sync-initial", CRMSYNC_CONFIRM_INITIAL_WIPE="true")

    # Changes on both sides, so that the killed cycles have writes to plan and apply.
    accounts = sf_live(sync, "SELECT Id FROM Account ORDER BY Name LIMIT 6")
    linked = fm_by_ext_id(sync, "accounts")
    for number, account in enumerate(accounts[:3]):
        sync.salesforce.request(
            "PATCH", f"sobjects/Account/{account['Id']}", json={"Phone": f"+34 600 100 10{number}"}
        )
    for account in accounts[3:]:
        sync.forcemanager.update("accounts", linked[account["Id"]]["id"], {"city": "Huesca"})

    for moment in ("extract", "plan", "apply"):
        cycles.kill_during(moment)
        # what the killed cycle left, before the next one tidies up
        _assert_no_secret_and_owner_only(started, sync, cycles.captured, tables=False)

    cycles.run("sync-incremental")
    _assert_no_secret_and_owner_only(started, sync, cycles.captured, tables=True)
    leftovers = sorted((sync.meltano_dir / "run").glob("*/*.config.json"))
    assert not leftovers, f"plugin config files outlived their runs: {leftovers}"

    # and the cycle after the kills converged
    fm = fm_by_ext_id(sync, "accounts")
    for number, account in enumerate(accounts[:3]):
        assert fm[account["Id"]]["phone"] == f"+34 600 100 10{number}"
    cities = sf_live(
        sync,
        "SELECT BillingCity FROM Account WHERE Id IN ("
        + ", ".join(f"'{a['Id']}'" for a in accounts[3:])
        + ")",
    )
    assert [c["BillingCity"] for c in cities] == ["Huesca"] * 3
