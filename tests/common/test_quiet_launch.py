"""A quiet cycle's apply and guard steps end before their heavy imports (`crmsync_common.quiet`).

Each step is its own process started by `meltano run`; the mark belongs to that run (its parent's
token). Here the steps run as children of the test process, so the test marks its own token.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from crmsync_common import quiet as marker

RECORD = '{"type": "RECORD", "stream": "accounts", "record": {"action": "create"}}\n'


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CRMSYNC_WAREHOUSE", str(path))
    return path


def _mark_quiet(token: str | None) -> None:
    marker.quiet_file().write_text(json.dumps({"skip": token}), encoding="utf-8")


def test_a_quiet_target_with_no_input_ends(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _mark_quiet(marker.run_token())
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert marker.skip_target("target-salesforce", ["target-salesforce", "--config", "c.json"])
    assert "target-salesforce skipped" in capsys.readouterr().err


def test_a_quiet_target_that_gets_a_record_runs_on_it(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mark_quiet(marker.run_token())
    monkeypatch.setattr(sys, "stdin", io.StringIO(RECORD))
    assert not marker.skip_target("target-salesforce", ["target-salesforce", "--config", "c"])
    assert sys.stdin.read() == RECORD, "the input is put back whole for the target"


@pytest.mark.parametrize(
    ("token", "argv"),
    [
        ("1:2", ["target-forcemanager", "--config", "c.json"]),  # another run's mark
        (None, ["target-forcemanager", "--config", "c.json"]),  # no quiet mark
        ("mine", ["target-forcemanager", "--about", "--config", "c.json"]),
        ("mine", ["target-forcemanager"]),  # not started for a run's work
    ],
)
def test_a_target_outside_a_quiet_run_runs_and_reads_nothing_first(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, token: str | None, argv: list[str]
) -> None:
    _mark_quiet(marker.run_token() if token == "mine" else token)
    monkeypatch.setattr(sys, "stdin", io.StringIO(RECORD))
    assert not marker.skip_target("target-forcemanager", argv)
    assert sys.stdin.read() == RECORD


def _child(code: str, warehouse: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `code` in a child of this process (so this process's token is its run's token)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "CRMSYNC_WAREHOUSE": str(warehouse)},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "heavy"),
    [
        ("target_salesforce.launch", "singer_sdk"),
        ("target_forcemanager.launch", "singer_sdk"),
    ],
)
def test_the_targets_of_a_quiet_run_end_before_the_sdk(
    warehouse: Path, module: str, heavy: str
) -> None:
    _mark_quiet(marker.run_token(os.getpid()))
    code = (
        "import sys; sys.argv = ['target', '--config', 'missing.json']\n"
        f"from {module} import main\nmain()\nprint({heavy!r} in sys.modules)"
    )
    result = _child(code, warehouse)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert "skipped" in result.stderr


def test_a_quiet_runs_guard_ends_before_duckdb(warehouse: Path) -> None:
    _mark_quiet(marker.run_token(os.getpid()))
    code = (
        "import sys\nfrom crmsync.cli import main\nrc = main(['guard'])\n"
        "print(rc, 'duckdb' in sys.modules, 'singer_sdk' in sys.modules)"
    )
    result = _child(code, warehouse)
    assert result.stdout.strip() == "0 False False", result.stderr
    assert "the mass-change check skipped" in result.stderr


def test_the_command_line_imports_only_what_its_command_needs(warehouse: Path) -> None:
    """Every step of a cycle starts the command line: alone, it imports none of the heavy parts."""
    code = (
        "import sys\nimport crmsync.cli\n"
        "print(sorted(m for m in ('duckdb', 'singer_sdk', 'jinja2', 'pygal', 'salesforce_client') "
        "if m in sys.modules))"
    )
    result = _child(code, warehouse)
    assert result.stdout.strip() == "[]", result.stderr
