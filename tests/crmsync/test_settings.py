"""The sync settings file: every bad value stops the run with the setting's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmsync.settings import SettingsError, load_settings, parse_settings

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
