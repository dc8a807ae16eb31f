"""The input state's bookmarks, read before the Singer SDK loads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from crmsync_common.singerstate import input_bookmarks, kept_entry

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


def _kept(minutes_ago: float, **extra) -> dict:
    read_at = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()
    return {"Account": {"describe": {"read_at": read_at, **extra}}}


def test_kept_entry_while_younger_than_the_limit_and_not_refreshing() -> None:
    fresh = _kept(5, fields=[])
    assert (
        kept_entry(fresh, "Account", "describe", max_age_minutes=60, refresh=False)
        == (fresh["Account"]["describe"])
    )
    assert kept_entry(fresh, "Account", "describe", max_age_minutes=60, refresh=True) is None
    assert kept_entry(fresh, "Account", "describe", max_age_minutes=0, refresh=False) is None
    assert kept_entry(_kept(61), "Account", "describe", max_age_minutes=60, refresh=False) is None
    assert kept_entry(fresh, "Contact", "describe", max_age_minutes=60, refresh=False) is None
    zulu = {"a": {"schema": {"read_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}}}
    assert kept_entry(zulu, "a", "schema", max_age_minutes=60, refresh=False) is not None
    for bad in ({"read_at": "soon"}, {}, "text"):
        state = {"a": {"schema": bad}}
        assert kept_entry(state, "a", "schema", max_age_minutes=60, refresh=False) is None
