"""`crmsync`: the steps a sync job runs besides the Singer plugins and dbt, and its statistics."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from crmsync_common.atrest import owner_only_umask
from crmsync_common.quiet import skip_step

#: Defaults of `crmsync connect` (a one-off command of a new org: its module, like setup's, is
#: imported only when it runs, not by every step of a cycle).
_CONNECT_PORT = 1717
_CONNECT_TIMEOUT_S = 300.0
#: `crmsync report --runs` default (`crmsync.report_html.DEFAULT_RUNS`, whose Jinja, pygal and
#: DuckDB imports only the report step pays: each step imports what its command needs).
_REPORT_RUNS = 20
#: `crmsync probe`'s exit status when the cycle is not quiet: the caller runs the full job.
PROBE_FULL_CYCLE = 3


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        msg = f"{value} is not a positive number"
        raise argparse.ArgumentTypeError(msg)
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmsync", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    preflight = commands.add_parser(
        "preflight",
        help="validate the sync settings file; make what a sync keeps owner-only and remove "
        "config files left by killed runs",
    )
    preflight.add_argument(
        "--initial",
        action="store_true",
        help="also demand CRMSYNC_CONFIRM_INITIAL_WIPE=true (the initial sync replaces data)",
    )
    preflight.add_argument(
        "--access",
        action="store_true",
        help="also log in to both CRMs and check the integration user's permissions and the "
        "Salesforce API allocation (reads only)",
    )
    prepare = commands.add_parser("prepare", help="check the settings against the extracted users")
    prepare.add_argument(
        "--quiet-check",
        action="store_true",
        help="the incremental cycle: when nothing changed since the last settled cycle, "
        "mark the run quiet (its plan, writes and statistics are skipped)",
    )
    guard = commands.add_parser(
        "guard", help="stop the cycle before writing when its plan is a mass change"
    )
    guard.add_argument(
        "--warn-only",
        action="store_true",
        help="only warn (a dry run: the next cycle would stop)",
    )
    commands.add_parser(
        "reconcile",
        help="after full reads: keep the records' state for the plan and mark the records the "
        "reads did not return as deleted",
    )
    commands.add_parser("collect-log", help="load the targets' sync-log files")
    commands.add_parser(
        "probe",
        help="before the 15-minute cycle: ask both CRMs and the warehouse whether the cycle has "
        "anything to do; when not, record the quiet run and exit 0, else exit 3 (run the job)",
    )
    stats = commands.add_parser("stats", help="print the statistics and the recent sync log")
    stats.add_argument("--runs", type=int, default=1, help="how many recent runs to show")
    stats.add_argument("--log-lines", type=int, default=20, help="how many log lines to show")
    html = commands.add_parser(
        "report",
        help="write the run report: one self-contained HTML page (statistics, sync log, "
        "conflicts, skipped records, unmapped owners, the mass-change breaker, reconciliation, "
        "API calls)",
    )
    html.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="the page to write (default: <warehouse>.report.html, beside the warehouse)",
    )
    html.add_argument(
        "--runs",
        type=_positive,
        default=_REPORT_RUNS,
        help="how many recent runs the charts and tables cover",
    )
    html.add_argument(
        "--settle",
        action="store_true",
        help="the incremental cycle's last step: when the cycle planned no write and changed "
        "none of its inputs, let the next unchanged cycle be quiet",
    )
    _add_connect(commands)
    setup = commands.add_parser(
        "setup",
        help="create what the sync needs in a CRM: in Salesforce, ForceManager_Id__c on each "
        "synced object and its field-level security for the integration user",
    )
    setup.add_argument("system", choices=["salesforce"])
    setup.add_argument(
        "--dry-run", action="store_true", help="list what would be created; change nothing"
    )
    return parser


def _add_connect(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connect_cmd = commands.add_parser(
        "connect",
        help="authorise crmsync in a browser (OAuth 2.0 authorisation code with PKCE) and keep "
        "the refresh token",
    )
    connect_cmd.add_argument("system", choices=["salesforce"])
    connect_cmd.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="the .env file to write SALESFORCE_REFRESH_TOKEN into (default: .env)",
    )
    connect_cmd.add_argument(
        "--print",
        dest="print_token",
        action="store_true",
        help="print the refresh token (for a secret store) instead of writing the .env file",
    )
    connect_cmd.add_argument(
        "--no-browser", action="store_true", help="only print the URL, do not open a browser"
    )
    connect_cmd.add_argument(
        "--port",
        type=int,
        default=_CONNECT_PORT,
        help="loopback port of the callback http://localhost:PORT/callback, a callback URL of "
        "the connected app (default: 1717; 0 picks a free one)",
    )
    connect_cmd.add_argument(
        "--timeout",
        type=float,
        default=_CONNECT_TIMEOUT_S,
        help="seconds to wait for the approval (default: 300)",
    )
    connect_cmd.add_argument(
        "--login-url",
        help="the login host (default: SALESFORCE_LOGIN_URL, then login.salesforce.com)",
    )
    connect_cmd.add_argument(
        "--client-id", help="the connected app's consumer key (default: SALESFORCE_CLIENT_ID)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit non-zero with a one-line reason when it refuses."""
    owner_only_umask()
    logging.basicConfig(level=logging.INFO, format="crmsync %(levelname)s %(message)s")
    args = _parser().parse_args(argv)
    early = _quiet_command(args)
    if early is not None:
        return early
    # Each command imports the modules it needs (a step of a cycle is its own process).
    from crmsync import steps  # noqa: PLC0415
    from crmsync.settings import SettingsError  # noqa: PLC0415

    refusals: tuple[type[Exception], ...] = (SettingsError, steps.StepError)
    try:
        if args.command == "preflight":
            from crmsync_common.apicalls import begin_cycle, record_calls  # noqa: PLC0415

            from crmsync import access, atrest  # noqa: PLC0415

            refusals = (*refusals, access.AccessError)

            # first in every job: before the cycle writes, tighten what earlier runs left
            atrest.protect()
            # every later step of the job records its API calls under this cycle
            begin_cycle()
            settings = steps.preflight(initial=args.initial)
            if args.access:
                record_calls("crmsync:preflight-initial" if args.initial else "crmsync:preflight")
                access.check(settings)
        elif args.command == "prepare":
            steps.prepare(quiet_check=args.quiet_check)
        elif args.command == "guard":
            steps.guard(warn_only=args.warn_only)
        elif args.command == "reconcile":
            from crmsync import reconcile  # noqa: PLC0415

            reconcile.reconcile()
        elif args.command == "collect-log":
            steps.collect_log()
        elif args.command == "report":
            from crmsync import quiet, report_html  # noqa: PLC0415

            if args.settle:
                quiet.settle()
            written = report_html.write(args.html, runs=args.runs)
            logging.getLogger("crmsync.report").info("run report written to %s", written)
        elif args.command in {"connect", "setup"}:
            return _account_command(args)
        else:
            from crmsync import report  # noqa: PLC0415

            print(report.render(runs=args.runs, log_lines=args.log_lines))
    except refusals as exc:
        print(f"crmsync: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _quiet_command(args: argparse.Namespace) -> int | None:
    """The quiet cycle's commands, before the other steps' imports; None for any other."""
    # A quiet cycle's guard has no plan to check: it ends before importing anything heavy.
    if args.command == "guard" and skip_step("the mass-change check"):
        return 0
    if args.command == "probe":
        from crmsync import probe  # noqa: PLC0415

        return 0 if probe.run() is None else PROBE_FULL_CYCLE
    return None


def _account_command(args: argparse.Namespace) -> int:
    """`connect salesforce` and `setup salesforce`: the one-off commands of a new org."""
    try:
        from salesforce_client.exceptions import SalesforceClientError  # noqa: PLC0415

        from crmsync import connect, setup_salesforce  # noqa: PLC0415
        from crmsync.settings import SettingsError, load_settings  # noqa: PLC0415
    except ImportError as exc:
        print(
            f"crmsync: error: `crmsync {args.command}` needs {exc.name}: run it from the "
            "project's virtualenv (.venv/bin/crmsync, made by `make setup`)",
            file=sys.stderr,
        )
        return 1

    try:
        if args.command == "connect":
            connect.connect_salesforce(
                connect.ConnectOptions(
                    env_file=args.env_file,
                    login_url=args.login_url,
                    client_id=args.client_id,
                    port=args.port,
                    timeout=args.timeout,
                    print_token=args.print_token,
                    open_browser=not args.no_browser,
                )
            )
        else:
            settings = load_settings()
            client = setup_salesforce.client_from_environment()
            try:
                setup_salesforce.setup_salesforce(client, settings, dry_run=args.dry_run)
            finally:
                client.close()
    except (
        SettingsError,
        connect.ConnectError,
        setup_salesforce.SetupError,
        SalesforceClientError,
    ) as exc:
        print(f"crmsync: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
