"""Owner-only files: the umask every entry point sets, and tightening what exists."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from crmsync_common.atrest import tighten


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_tighten_takes_group_and_other_bits_off_a_tree(tmp_path: Path) -> None:
    folder = tmp_path / "log"
    (folder / "loaded").mkdir(parents=True)
    data = folder / "loaded" / "run.jsonl"
    data.write_text("{}\n")
    script = folder / "tool"
    script.write_text("#!/bin/sh\n")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    for path, bits in ((folder, 0o755), (folder / "loaded", 0o775), (data, 0o664), (script, 0o755)):
        path.chmod(bits)

    assert tighten(folder) == 4
    assert (mode(folder), mode(folder / "loaded"), mode(data), mode(script)) == (
        0o700,
        0o700,
        0o600,
        0o700,  # the owner keeps what it had
    )
    assert tighten(folder) == 0  # nothing left to change
    assert tighten(tmp_path / "missing") == 0
    assert tighten(link) == 0  # links are neither changed nor followed


def test_a_plugin_command_line_writes_owner_only_files_from_a_wide_umask(tmp_path: Path) -> None:
    """The Singer plugins set the umask 077 first (OwnerOnlyFiles), whoever starts them."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"path": str(tmp_path / "out" / "warehouse.duckdb")}))
    messages = [
        {
            "type": "SCHEMA",
            "stream": "accounts",
            "schema": {"properties": {"id": {"type": "string"}}},
            "key_properties": ["id"],
        },
        {"type": "RECORD", "stream": "accounts", "record": {"id": "a1"}},
    ]
    subprocess.run(
        [sys.executable, "-m", "target_warehouse", "--config", str(config)],
        input="".join(json.dumps(m) + "\n" for m in messages),
        text=True,
        capture_output=True,
        check=True,
        umask=0o022,
        env={**os.environ, "CRMSYNC_WAREHOUSE": ""},
    )
    written = [tmp_path / "out", *(tmp_path / "out").iterdir()]
    assert tmp_path / "out" / "warehouse.duckdb" in written
    assert {path.name: mode(path) & 0o077 for path in written} == dict.fromkeys(
        (path.name for path in written), 0
    )
