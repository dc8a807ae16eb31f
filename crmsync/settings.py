"""The sync settings file (`CRMSYNC_CONFIG`, docs/contracts.md section 3): load and validate.

Every problem is reported with the setting's path (`objects.contacts`,
`user_mapping.manual."005..."`) so the person editing the file knows where to look.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml
from crmsync_common.objects import CATALOGUE, OBJECTS, REQUIRED_OBJECTS

MODES = ("one-way", "two-way", "off")
INITIAL_SYNC_MODES = ("replace", "match")
#: `field_mapping` pair directions: both ways (two-way objects only carry ForceManager's
#: changes), or one way only.
FIELD_DIRECTIONS = ("two-way", "sf_to_fm", "fm_to_sf")
DEFAULT_SETTINGS_FILE = "sync.yml"

#: Field API names: Salesforce's (`VAT_Number__c`) and ForceManager's (`vatNumber`, `Z_Tier`).
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
#: Fields that hold the link between the two records, not a value: never user-paired.
_LINK_FIELDS = {"salesforce": "forcemanager_id__c", "forcemanager": "extid"}

#: Salesforce user ids: key prefix 005, then 12 (15-char) or 15 (18-char) base-62 characters.
_SALESFORCE_USER_ID = re.compile(r"^005[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$")


class SettingsError(ValueError):
    """The settings file is missing, unreadable or invalid; the message names the setting."""


def _reject_unknown(raw: dict[Any, Any], known: Iterable[str], where: str = "") -> None:
    """Refuse a mapping with a key outside `known`, naming the first one and the known ones.

    Args:
        raw: The mapping read from the file.
        known: The keys it may hold, in the order the message lists them.
        where: The path of the mapping (`user_mapping.`), empty at the top of a file.

    Raises:
        SettingsError: `unknown setting `where.key` (expected `a`, `b`)`.
    """
    names = list(known)
    unknown = sorted(set(raw) - set(names), key=str)
    if unknown:
        expected = ", ".join(f"`{name}`" for name in names)
        msg = f"unknown setting `{where}{unknown[0]}` (expected {expected})"
        raise SettingsError(msg)


@dataclass(frozen=True)
class SafetySettings:
    """The mass-change breaker's limits (`safety:`): a cycle whose plan deletes on one side more
    than `max_delete_share` of an object's records there and more than `min_delete_count`
    records (or updates more than `max_update_share` and `min_update_count`) stops unwritten."""

    max_delete_share: float = 0.10
    min_delete_count: int = 20
    max_update_share: float = 0.50
    min_update_count: int = 200


@dataclass(frozen=True)
class FieldPair:
    """One user pair of `field_mapping.<object>`: a ForceManager field and a Salesforce field
    with the same meaning, synced like the built-in pairs (docs/field-mapping.md)."""

    object: str
    forcemanager: str
    salesforce: str
    #: `two-way`, `sf_to_fm` or `fm_to_sf`
    direction: str = "two-way"
    #: where the pair is set, for messages (`field_mapping.accounts[0]`)
    setting: str = ""


@dataclass(frozen=True)
class SyncSettings:
    """Validated sync settings."""

    objects: dict[str, str]
    auto_match_users: bool = True
    manual_mapping: dict[str, int] = field(default_factory=dict)
    default_forcemanager_owner: int | None = None
    default_salesforce_owner: str | None = None
    safety: SafetySettings = field(default_factory=SafetySettings)
    #: `replace` wipes ForceManager's synced objects; `match` pairs the records both hold
    initial_sync: str = "replace"
    #: the `match_overrides` file (resolved against the settings file's folder), if any
    match_overrides: Path | None = None
    #: the user's field pairs (`field_mapping:`), beyond the built-in mapping
    field_pairs: tuple[FieldPair, ...] = ()

    @property
    def synced_objects(self) -> list[str]:
        """Objects that are not off, in dependency order."""
        return [name for name in OBJECTS if self.objects[name] != "off"]


def settings_path() -> Path:
    """Return the settings file named by `CRMSYNC_CONFIG` (default `sync.yml`)."""
    return Path(os.environ.get("CRMSYNC_CONFIG") or DEFAULT_SETTINGS_FILE)


def load_settings(path: Path | None = None) -> SyncSettings:
    """Read and validate the settings file.

    Raises:
        SettingsError: naming the file and the setting at fault.
    """
    path = path or settings_path()
    raw = _read_yaml(path, "sync settings file", "set CRMSYNC_CONFIG to its path")
    try:
        settings = parse_settings(raw if raw is not None else {})
    except SettingsError as exc:
        msg = f"{path}: {exc}"
        raise SettingsError(msg) from None
    if settings.match_overrides is not None and not settings.match_overrides.is_absolute():
        settings = replace(settings, match_overrides=path.parent / settings.match_overrides)
    return settings


def parse_settings(raw: Any) -> SyncSettings:
    """Validate the parsed YAML document of a settings file."""
    if not isinstance(raw, dict):
        msg = "the settings file must be a mapping with `objects` and `user_mapping`"
        raise SettingsError(msg)
    _reject_unknown(
        raw,
        ("objects", "user_mapping", "safety", "initial_sync", "match_overrides", "field_mapping"),
    )
    initial_sync = raw.get("initial_sync", "replace")
    if initial_sync not in INITIAL_SYNC_MODES:
        msg = f"`initial_sync` must be replace or match, not {initial_sync!r}"
        raise SettingsError(msg)
    overrides = raw.get("match_overrides")
    if overrides is not None and (not isinstance(overrides, str) or not overrides.strip()):
        msg = f"`match_overrides` must be the path of a YAML file, not {overrides!r}"
        raise SettingsError(msg)
    objects = _parse_objects(raw.get("objects"))
    mapping = raw.get("user_mapping") or {}
    if not isinstance(mapping, dict):
        msg = "`user_mapping` must be a mapping with `auto`, `manual` and `default_owner`"
        raise SettingsError(msg)
    _reject_unknown(mapping, ("auto", "manual", "default_owner"), "user_mapping.")
    auto = mapping.get("auto", True)
    if not isinstance(auto, bool):
        msg = f"`user_mapping.auto` must be true or false, not {auto!r}"
        raise SettingsError(msg)
    default_fm, default_sf = _parse_default_owner(mapping.get("default_owner"))
    return SyncSettings(
        objects=objects,
        auto_match_users=auto,
        manual_mapping=_parse_manual(mapping.get("manual")),
        default_forcemanager_owner=default_fm,
        default_salesforce_owner=default_sf,
        safety=_parse_safety(raw.get("safety")),
        initial_sync=initial_sync,
        match_overrides=Path(overrides) if overrides is not None else None,
        field_pairs=_parse_field_mapping(raw.get("field_mapping"), objects),
    )


def _parse_objects(raw: Any) -> dict[str, str]:
    if raw is None:
        msg = "`objects` is missing: list each object with one-way, two-way or off"
        raise SettingsError(msg)
    if not isinstance(raw, dict):
        msg = "`objects` must be a mapping of object name to one-way, two-way or off"
        raise SettingsError(msg)
    objects = {obj.name: "two-way" if obj.required else "off" for obj in CATALOGUE}
    for name, value in raw.items():
        if name not in OBJECTS:
            msg = f"unknown object `objects.{name}` (known objects: {', '.join(OBJECTS)})"
            raise SettingsError(msg)
        # YAML reads a bare `off` as false; both spell "off".
        mode = "off" if value is False else value
        if mode not in MODES:
            msg = f"`objects.{name}` must be one of {', '.join(MODES)}, not {value!r}"
            raise SettingsError(msg)
        objects[name] = mode
    for name in REQUIRED_OBJECTS:
        if objects[name] == "off":
            msg = f"`objects.{name}` cannot be off: every other object hangs off {name}"
            raise SettingsError(msg)
    return objects


def _parse_manual(raw: Any) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        msg = "`user_mapping.manual` must map Salesforce user ids to ForceManager user ids"
        raise SettingsError(msg)
    manual: dict[str, int] = {}
    for sf_id, fm_id in raw.items():
        where = f'`user_mapping.manual."{sf_id}"`'
        if not isinstance(sf_id, str) or not _SALESFORCE_USER_ID.match(sf_id):
            msg = f"{where}: {sf_id!r} is not a Salesforce user id (15 or 18 characters, 005...)"
            raise SettingsError(msg)
        if isinstance(fm_id, bool) or not isinstance(fm_id, int) or fm_id <= 0:
            msg = f"{where}: {fm_id!r} is not a ForceManager user id (a positive integer)"
            raise SettingsError(msg)
        manual[sf_id] = fm_id
    return manual


def _parse_default_owner(raw: Any) -> tuple[int | None, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        msg = "`user_mapping.default_owner` must have `forcemanager` and/or `salesforce`"
        raise SettingsError(msg)
    _reject_unknown(raw, ("forcemanager", "salesforce"), "user_mapping.default_owner.")
    fm_owner = raw.get("forcemanager")
    if fm_owner is not None and (
        isinstance(fm_owner, bool) or not isinstance(fm_owner, int) or fm_owner <= 0
    ):
        msg = f"`user_mapping.default_owner.forcemanager` must be a user id, not {fm_owner!r}"
        raise SettingsError(msg)
    sf_owner = raw.get("salesforce")
    if sf_owner is not None and (
        not isinstance(sf_owner, str) or not _SALESFORCE_USER_ID.match(sf_owner)
    ):
        msg = f"`user_mapping.default_owner.salesforce` must be a user id, not {sf_owner!r}"
        raise SettingsError(msg)
    return fm_owner, sf_owner


def builtin_field_mapping() -> dict[str, dict[str, Any]]:
    """The built-in field mapping (transform/macros/field_mapping.sql), per object."""
    from crmsync.access import field_mapping  # noqa: PLC0415 - crmsync.access imports this

    return field_mapping()


def _parse_field_mapping(raw: Any, objects: dict[str, str]) -> tuple[FieldPair, ...]:
    """The `field_mapping:` pairs, checked for shape, direction and fields mapped already.

    Whether each field exists and the two types agree is checked against the CRMs' own field
    lists once they are extracted (`crmsync.steps.prepare`, `check_field_pairs`).
    """
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        msg = "`field_mapping` must map object names to lists of {forcemanager, salesforce}"
        raise SettingsError(msg)
    builtin = builtin_field_mapping()
    pairs: list[FieldPair] = []
    for name, entries in raw.items():
        if name not in OBJECTS:
            msg = f"unknown object `field_mapping.{name}` (known objects: {', '.join(OBJECTS)})"
            raise SettingsError(msg)
        if entries is None:
            continue
        if not isinstance(entries, list):
            msg = f"`field_mapping.{name}` must be a list of {{forcemanager, salesforce}} pairs"
            raise SettingsError(msg)
        taken = {
            "forcemanager": {str(f["fm"]).lower() for f in builtin[name]["fields"]}
            | {str(f["fm2"]).lower() for f in builtin[name]["fields"] if f.get("fm2")},
            "salesforce": {str(f["sf"]).lower() for f in builtin[name]["fields"]},
        }
        for index, entry in enumerate(entries):
            pairs.append(_parse_field_pair(name, index, entry, objects[name], taken))
    return tuple(pairs)


def _parse_field_pair(
    name: str, index: int, entry: Any, mode: str, taken: dict[str, set[str]]
) -> FieldPair:
    where = f"field_mapping.{name}[{index}]"
    if not isinstance(entry, dict):
        msg = f"`{where}` must be a mapping with `forcemanager`, `salesforce` and `direction`"
        raise SettingsError(msg)
    _reject_unknown(entry, ("forcemanager", "salesforce", "direction"), f"{where}.")
    fields_named: dict[str, str] = {}
    for side in ("forcemanager", "salesforce"):
        value = entry.get(side)
        if value is None:
            msg = f"`{where}.{side}` is missing: name the field's API name"
            raise SettingsError(msg)
        if not isinstance(value, str) or not _FIELD_NAME.match(value):
            msg = f"`{where}.{side}`: {value!r} is not a field API name"
            raise SettingsError(msg)
        if value.lower() == _LINK_FIELDS[side]:
            msg = f"`{where}.{side}`: {value} holds the link between the records, not a value"
            raise SettingsError(msg)
        if value.lower() in taken[side]:
            msg = f"`{where}.{side}`: {value} is mapped already (docs/field-mapping.md)"
            raise SettingsError(msg)
        fields_named[side] = value
    direction = entry.get("direction", "two-way")
    if direction not in FIELD_DIRECTIONS:
        msg = f"`{where}.direction` must be one of {', '.join(FIELD_DIRECTIONS)}, not {direction!r}"
        raise SettingsError(msg)
    if direction == "fm_to_sf" and mode != "two-way":
        msg = f"`{where}.direction`: fm_to_sf needs `objects.{name}: two-way`, not {mode}"
        raise SettingsError(msg)
    for side, value in fields_named.items():
        taken[side].add(value.lower())
    return FieldPair(
        name, fields_named["forcemanager"], fields_named["salesforce"], direction, where
    )


def _parse_safety(raw: Any) -> SafetySettings:
    if raw is None:
        return SafetySettings()
    names = [limit.name for limit in fields(SafetySettings)]
    if not isinstance(raw, dict):
        msg = f"`safety` must be a mapping with {', '.join(names)}"
        raise SettingsError(msg)
    _reject_unknown(raw, names, "safety.")
    limits: dict[str, Any] = {}
    for name, value in raw.items():
        number = not isinstance(value, bool) and isinstance(value, int | float)
        if name.endswith("_share"):
            if not number or not 0 <= value <= 1:
                msg = f"`safety.{name}` must be a share from 0 to 1 (0.10 is 10%), not {value!r}"
                raise SettingsError(msg)
            limits[name] = float(value)
        else:
            if not number or not isinstance(value, int) or value < 0:
                msg = f"`safety.{name}` must be a number of records (0 or more), not {value!r}"
                raise SettingsError(msg)
            limits[name] = value
    return SafetySettings(**limits)


@dataclass(frozen=True)
class MatchOverride:
    """One `force:` or `forbid:` entry of the `match_overrides` file."""

    action: str
    object: str
    salesforce_id: str
    forcemanager_id: int


def load_match_overrides(path: Path) -> list[MatchOverride]:
    """Read and validate a `match_overrides` file (`force:` and `forbid:` lists of pairs).

    Raises:
        SettingsError: naming the file and the entry at fault.
    """
    raw = _read_yaml(path, "match_overrides file", "the path is relative to the settings file")
    try:
        return parse_match_overrides(raw if raw is not None else {})
    except SettingsError as exc:
        msg = f"{path}: {exc}"
        raise SettingsError(msg) from None


def parse_match_overrides(raw: Any) -> list[MatchOverride]:
    """Validate the parsed YAML document of a `match_overrides` file."""
    if not isinstance(raw, dict):
        msg = "the match_overrides file must be a mapping with `force` and/or `forbid`"
        raise SettingsError(msg)
    _reject_unknown(raw, ("force", "forbid"))
    overrides: list[MatchOverride] = []
    seen: dict[tuple[str, str, int], str] = {}
    for action in ("force", "forbid"):
        entries = raw.get(action) or []
        if not isinstance(entries, list):
            msg = f"`{action}` must be a list of {{object, salesforce_id, forcemanager_id}}"
            raise SettingsError(msg)
        for index, entry in enumerate(entries):
            where = f"`{action}[{index}]`"
            if not isinstance(entry, dict):
                msg = f"{where} must be a mapping with object, salesforce_id, forcemanager_id"
                raise SettingsError(msg)
            keys = ("object", "salesforce_id", "forcemanager_id")
            _reject_unknown(entry, keys, f"{action}[{index}].")
            missing = [key for key in keys if key not in entry]
            if missing:
                msg = f"{where}: `{missing[0]}` is missing"
                raise SettingsError(msg)
            obj, sf_id, fm_id = entry["object"], entry["salesforce_id"], entry["forcemanager_id"]
            if obj not in OBJECTS:
                msg = f"{where}.object must be one of {', '.join(OBJECTS)}, not {obj!r}"
                raise SettingsError(msg)
            if not isinstance(sf_id, str) or not re.fullmatch(
                r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?", sf_id
            ):
                msg = f"{where}.salesforce_id: {sf_id!r} is not a Salesforce Id (15 or 18 chars)"
                raise SettingsError(msg)
            if isinstance(fm_id, bool) or not isinstance(fm_id, int) or fm_id <= 0:
                msg = f"{where}.forcemanager_id: {fm_id!r} is not a ForceManager id (a number > 0)"
                raise SettingsError(msg)
            key = (obj, sf_id[:15], fm_id)
            if key in seen and seen[key] != action:
                msg = f"{where}: the pair is both forced and forbidden"
                raise SettingsError(msg)
            seen[key] = action
            overrides.append(MatchOverride(action, obj, sf_id, fm_id))
    return overrides


def _read_yaml(path: Path, what: str, hint: str) -> Any:
    """A YAML file's content; a missing or malformed file is a `SettingsError` naming it."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"{what} {path} not found ({hint})"
        raise SettingsError(msg) from exc
    except yaml.YAMLError as exc:
        msg = f"{what} {path} is not valid YAML: {exc}"
        raise SettingsError(msg) from exc
