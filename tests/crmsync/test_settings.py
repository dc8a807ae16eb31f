"""The sync settings file: every bad value stops the run with the setting's name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crmsync.settings import (
    MatchOverride,
    SafetySettings,
    SettingsError,
    load_settings,
    parse_match_overrides,
    parse_settings,
)

VALID = """
objects:
  accounts: two-way
  contacts: two-way
  opportunities: one-way
  activities: off
  events: "off"
  tasks: off
user_mapping:
  auto: true
  manual:
    "005000000000001AAA": 12
  default_owner:
    forcemanager: 1
    salesforce: "005000000000001AAA"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sync.yml"
    path.write_text(text)
    return path


def test_valid_file_reads_every_setting(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, VALID))
    assert settings.objects == {
        "accounts": "two-way",
        "contacts": "two-way",
        "opportunities": "one-way",
        "activities": "off",
        "events": "off",
        "tasks": "off",
    }
    assert settings.synced_objects == ["accounts", "contacts", "opportunities"]
    assert settings.manual_mapping == {"005000000000001AAA": 12}
    assert settings.default_forcemanager_owner == 1
    assert settings.default_salesforce_owner == "005000000000001AAA"
    assert settings.auto_match_users is True


def test_objects_left_out_are_off_and_accounts_default_to_two_way() -> None:
    settings = parse_settings({"objects": {"contacts": "one-way"}})
    assert settings.objects["accounts"] == "two-way"
    assert settings.objects["contacts"] == "one-way"
    assert settings.objects["tasks"] == "off"
    assert settings.manual_mapping == {}
    assert settings.default_forcemanager_owner is None


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"objects": {"accounts": False}}, "objects.accounts"),
        ({"objects": {"accounts": "off"}}, "objects.accounts"),
        ({"objects": {"leads": "two-way"}}, "objects.leads"),
        ({"objects": {"contacts": "both-ways"}}, "objects.contacts"),
        ({}, "objects"),
        ({"objects": {}, "users": {}}, "users"),
        ({"objects": {}, "user_mapping": {"auto": "yes"}}, "user_mapping.auto"),
        ({"objects": {}, "user_mapping": {"manual": {"12": 3}}}, 'user_mapping.manual."12"'),
        (
            {"objects": {}, "user_mapping": {"manual": {"005000000000001AAA": "x"}}},
            'user_mapping.manual."005000000000001AAA"',
        ),
        (
            {"objects": {}, "user_mapping": {"default_owner": {"forcemanager": -1}}},
            "user_mapping.default_owner.forcemanager",
        ),
        (
            {"objects": {}, "user_mapping": {"default_owner": {"salesforce": "001x"}}},
            "user_mapping.default_owner.salesforce",
        ),
        ({"objects": {}, "user_mapping": {"fallback": 1}}, "user_mapping.fallback"),
    ],
)
def test_bad_setting_is_named_in_the_error(document: dict, named: str) -> None:
    with pytest.raises(SettingsError, match=f"`{named}"):
        parse_settings(document)


def test_missing_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="CRMSYNC_CONFIG"):
        load_settings(tmp_path / "absent.yml")


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "objects: [unclosed")
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings(path)


def test_safety_limits_default_to_the_contract() -> None:
    safety = parse_settings({"objects": {}}).safety
    assert (safety.max_delete_share, safety.min_delete_count) == (0.10, 20)
    assert (safety.max_update_share, safety.min_update_count) == (0.50, 200)


def test_safety_limits_are_read_and_the_rest_default() -> None:
    safety = parse_settings(
        {"objects": {}, "safety": {"max_delete_share": 0.25, "min_delete_count": 0}}
    ).safety
    assert (safety.max_delete_share, safety.min_delete_count) == (0.25, 0)
    assert (safety.max_update_share, safety.min_update_count) == (0.50, 200)
    assert parse_settings({"objects": {}, "safety": {"max_update_share": 1}}).safety == (
        SafetySettings(max_update_share=1.0)
    )
    assert parse_settings({"objects": {}, "safety": None}).safety == SafetySettings()


@pytest.mark.parametrize(
    ("safety", "named"),
    [
        ([0.1], "safety"),
        ({"max_deletes": 0.1}, "safety.max_deletes"),
        ({"max_delete_share": 1.5}, "safety.max_delete_share"),
        ({"max_delete_share": -0.1}, "safety.max_delete_share"),
        ({"max_delete_share": "10%"}, "safety.max_delete_share"),
        ({"max_update_share": True}, "safety.max_update_share"),
        ({"min_delete_count": -1}, "safety.min_delete_count"),
        ({"min_delete_count": 2.5}, "safety.min_delete_count"),
        ({"min_update_count": "200"}, "safety.min_update_count"),
        ({"min_update_count": None}, "safety.min_update_count"),
    ],
)
def test_bad_safety_limit_is_named_in_the_error(safety: object, named: str) -> None:
    with pytest.raises(SettingsError, match=f"`{named}`"):
        parse_settings({"objects": {}, "safety": safety})


def test_safety_section_of_a_file_is_validated_with_the_file_named(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "safety:\n  max_delete_share: 10\n")
    with pytest.raises(SettingsError, match=r"sync\.yml: `safety\.max_delete_share`"):
        load_settings(path)


def test_initial_sync_defaults_to_replace_and_reads_match(tmp_path: Path) -> None:
    assert parse_settings({"objects": {}}).initial_sync == "replace"
    path = write(tmp_path, "objects: {}\ninitial_sync: match\nmatch_overrides: pairs.yml\n")
    settings = load_settings(path)
    assert settings.initial_sync == "match"
    assert settings.match_overrides == path.parent / "pairs.yml"


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"objects": {}, "initial_sync": "merge"}, "initial_sync"),
        ({"objects": {}, "match_overrides": 3}, "match_overrides"),
    ],
)
def test_bad_initial_sync_setting_is_named(document: dict, named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        parse_settings(document)


def test_match_overrides_are_read() -> None:
    overrides = parse_match_overrides(
        {
            "force": [
                {"object": "accounts", "salesforce_id": "001000000000001", "forcemanager_id": 1}
            ],
            "forbid": [
                {"object": "contacts", "salesforce_id": "003000000000001AAA", "forcemanager_id": 2}
            ],
        }
    )
    assert overrides == [
        MatchOverride("force", "accounts", "001000000000001", 1),
        MatchOverride("forbid", "contacts", "003000000000001AAA", 2),
    ]


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ([], "mapping"),
        ({"keep": []}, "keep"),
        ({"force": [{"object": "leads", "salesforce_id": "x", "forcemanager_id": 1}]}, "object"),
        ({"force": [{"object": "accounts", "salesforce_id": "001"}]}, "forcemanager_id"),
        (
            {"force": [{"object": "accounts", "salesforce_id": "001", "forcemanager_id": 1}]},
            "salesforce_id",
        ),
        (
            {
                "force": [
                    {"object": "accounts", "salesforce_id": "001000000000001", "forcemanager_id": 1}
                ],
                "forbid": [
                    {"object": "accounts", "salesforce_id": "001000000000001", "forcemanager_id": 1}
                ],
            },
            "both forced and forbidden",
        ),
    ],
)
def test_bad_match_override_is_named(document: object, named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        parse_match_overrides(document)


@pytest.mark.parametrize(
    ("parse", "document", "message"),
    [
        (
            parse_settings,
            {"objects": {}, "users": {}},
            "unknown setting `users` (expected `objects`, `user_mapping`, `safety`, "
            "`initial_sync`, `match_overrides`, `field_mapping`)",
        ),
        (
            parse_settings,
            {"objects": {}, "user_mapping": {"fallback": 1}},
            "unknown setting `user_mapping.fallback` (expected `auto`, `manual`, `default_owner`)",
        ),
        (
            parse_settings,
            {"objects": {}, "user_mapping": {"default_owner": {"hubspot": 1}}},
            "unknown setting `user_mapping.default_owner.hubspot` "
            "(expected `forcemanager`, `salesforce`)",
        ),
        (
            parse_settings,
            {"objects": {}, "safety": {"max_deletes": 1}},
            "unknown setting `safety.max_deletes` (expected `max_delete_share`, "
            "`min_delete_count`, `max_update_share`, `min_update_count`)",
        ),
        (
            parse_match_overrides,
            {"keep": []},
            "unknown setting `keep` (expected `force`, `forbid`)",
        ),
        (
            parse_match_overrides,
            {"forbid": [{"object": "leads", "salesforce_id": "x", "forcemanager_id": 1, "n": 1}]},
            "unknown setting `forbid[0].n` (expected `object`, `salesforce_id`, `forcemanager_id`)",
        ),
    ],
)
def test_unknown_key_is_named_with_the_expected_ones(
    parse: Callable[[Any], object], document: dict, message: str
) -> None:
    """Each level of both files refuses an unknown key alike: its path, then the known keys."""
    with pytest.raises(SettingsError) as raised:
        parse(document)
    assert str(raised.value) == message
