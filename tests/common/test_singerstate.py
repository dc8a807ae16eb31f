"""The input state's bookmarks, read before the Singer SDK loads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crmsync_common.singerstate import input_bookmarks

BOOKMARKS = {"Account": {"replication_key_value": "2026-01-01T00:00:00Z"}}


@pytest.mark.parametrize("as_path", [str, Path])
def test_bookmarks_from_a_state_file(tmp_path: Path, as_path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"bookmarks": BOOKMARKS}))
    assert input_bookmarks(as_path(state_file)) == BOOKMARKS


def test_bookmarks_from_a_dict_and_from_nothing(tmp_path: Path) -> None:
    assert input_bookmarks({"bookmarks": BOOKMARKS}) == BOOKMARKS
    assert input_bookmarks(None) == {}
    assert input_bookmarks({}) == {}
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert input_bookmarks(empty) == {}
