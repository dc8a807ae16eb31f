"""The access check at the start of every cycle: both logins, the integration user's
permissions on what the plan may write, and room in Salesforce's daily API allocation.

It runs before anything is extracted (`crmsync preflight --access`) and only reads: a login
to each CRM, a describe per synced Salesforce object, `limits/`, and ForceManager's schema of
each synced resource. The user's field pairs (`field_mapping:`) are checked in the same
answers, so they cost no call (only a ForceManager field missing from `/schema` reads the
resource's extra fields before it is refused). A problem ends the cycle with one line that
names what to fix (the setting, or the object, field and permission), with no write to either
CRM.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from forcemanager_client import (
    DEFAULT_BASE_URL,
    DEFAULT_REQUESTS_PER_SECOND,
    ForceManagerAPIError,
    ForceManagerAuthError,
    ForceManagerClient,
    ForceManagerError,
    ForceManagerTransientError,
)
from forcemanager_client import RetryPolicy as ForceManagerRetry
from salesforce_client import (
    SalesforceApiError,
    SalesforceAuthError,
    SalesforceClient,
    SalesforceClientError,
    SalesforceConfigError,
    SalesforceSettings,
    SalesforceUnavailableError,
)
from salesforce_client.retry import RetryPolicy as SalesforceRetry
from salesforce_client.settings import DEFAULT_MAX_API_SHARE_TOTAL

from crmsync.settings import FieldPair, SyncSettings

logger = logging.getLogger("crmsync.access")

#: The field the links live in on every synced Salesforce object.
EXTERNAL_ID_FIELD = "ForceManager_Id__c"
#: Where the field mapping is declared (a dbt macro; read here with Jinja, no dbt needed).
FIELD_MAPPING = Path(__file__).resolve().parents[1] / "transform" / "macros" / "field_mapping.sql"
#: A check fails within seconds when a host is unreachable, yet rides out transient faults
#: (5 attempts: at a 10% fault rate a call fails once in 100,000).
SALESFORCE_RETRY = SalesforceRetry(max_attempts=5, base_delay=0.5, max_delay=2.0)
FORCEMANAGER_RETRY = ForceManagerRetry(max_attempts=5, base_delay=0.5, max_delay=2.0)
#: ForceManager's client-side rate limit for the check (the crmsync plugin's
#: `forcemanager_requests_per_second` setting; 4, the safe default for every plan, unless set).
RATE_VARIABLE = "CRMSYNC_FORCEMANAGER_REQUESTS_PER_SECOND"
#: Seconds per reply: an unanswered check must not hold the cycle for minutes.
REQUEST_TIMEOUT = 30.0

#: The variable behind each Salesforce setting (contracts.md section 2, README's table).
SALESFORCE_VARIABLES = {
    "login_url": "SALESFORCE_LOGIN_URL",
    "client_id": "SALESFORCE_CLIENT_ID",
    "client_secret": "SALESFORCE_CLIENT_SECRET",
    "username": "SALESFORCE_USERNAME",
    "password": "SALESFORCE_PASSWORD",
    "security_token": "SALESFORCE_SECURITY_TOKEN",
    "refresh_token": "SALESFORCE_REFRESH_TOKEN",
    "jwt_key_file": "SALESFORCE_JWT_KEY_FILE",
}
#: What to fix when the token endpoint refuses a flow, by OAuth error.
_AUTH_SETTINGS = {
    "invalid_client_id": "SALESFORCE_CLIENT_ID",
    "invalid_client": "SALESFORCE_CLIENT_SECRET",
}
_GRANT_SETTINGS = {
    "password": "SALESFORCE_USERNAME, SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN",
    "refresh_token": "SALESFORCE_REFRESH_TOKEN",
    "jwt_bearer": "SALESFORCE_JWT_KEY_FILE (its certificate in the connected app) and "
    "SALESFORCE_USERNAME",
    "client_credentials": "SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET (and the app's "
    "run-as user)",
}


class AccessError(RuntimeError):
    """A login, permission or allocation problem; the message is the one line to show."""


@dataclass(frozen=True)
class SyncedObject:
    """What the plan may do to one synced object in Salesforce.

    Attributes:
        name: the crmsync object (`contacts`).
        sobject: the Salesforce object (`Contact`).
        resource: the ForceManager resource (`contacts`; `calendar` for events and tasks).
        fields: the Salesforce fields the plan writes for it.
        two_way: whether Salesforce receives creates, updates and deletes.
        pairs: the user's field pairs of the object (`field_mapping.<object>`).
    """

    name: str
    sobject: str
    resource: str
    fields: tuple[str, ...] = field(default_factory=tuple)
    two_way: bool = False
    pairs: tuple[FieldPair, ...] = field(default_factory=tuple)

    def writes_to_salesforce(self, pair: FieldPair) -> bool:
        """Whether the pair carries ForceManager's values into Salesforce."""
        return self.two_way and pair.direction in {"two-way", "fm_to_sf"}


def field_mapping(path: Path = FIELD_MAPPING) -> dict[str, dict[str, Any]]:
    """The objects of the built-in field mapping macro, as dbt renders them."""
    captured: dict[str, Any] = {}

    def capture(value: dict[str, Any]) -> str:
        captured["objects"] = value
        return ""

    template = jinja2.Environment(autoescape=False).from_string(  # noqa: S701 - not HTML
        path.read_text(encoding="utf-8") + "\n{{ crmsync_builtin_objects() }}"
    )
    template.render({"return": capture})
    return captured["objects"]


def synced_objects(
    settings: SyncSettings, mapping: Mapping[str, dict[str, Any]] | None = None
) -> list[SyncedObject]:
    """The synced objects with the Salesforce fields the plan may write."""
    mapping = field_mapping() if mapping is None else mapping
    objects = []
    for name in settings.synced_objects:
        spec = mapping[name]
        fields = tuple(dict.fromkeys(f["sf"] for f in spec["fields"] if f.get("sf")))
        objects.append(
            SyncedObject(
                name=name,
                sobject=spec["sf_object"],
                resource=spec["fm_resource"],
                fields=fields,
                two_way=settings.objects[name] == "two-way",
                pairs=tuple(p for p in settings.field_pairs if p.object == name),
            )
        )
    return objects


def check(settings: SyncSettings, *, environ: Mapping[str, str] | None = None) -> None:
    """Check both CRMs; raise `AccessError` with one line at the first problem."""
    environ = os.environ if environ is None else environ
    objects = synced_objects(settings)
    check_salesforce(objects, environ, link_one_way=settings.initial_sync == "match")
    check_forcemanager(objects, environ)


# -- Salesforce ---------------------------------------------------------------------------------


def salesforce_client(environ: Mapping[str, str]) -> SalesforceClient:
    """A client over the same variables the plugins read (secrets from the environment)."""
    config = {
        key: environ.get(variable, "")
        for key, variable in SALESFORCE_VARIABLES.items()
        if key in {"login_url", "client_id", "username", "jwt_key_file"}
    }
    config["request_timeout"] = REQUEST_TIMEOUT
    try:
        settings = SalesforceSettings.from_config(config)
        settings.auth_flow  # noqa: B018 - raises, naming the missing settings
    except SalesforceConfigError as exc:
        raise AccessError(f"Salesforce settings: {_with_variables(str(exc))}") from None
    return SalesforceClient(settings, retry=SALESFORCE_RETRY)


def check_salesforce(
    objects: list[SyncedObject], environ: Mapping[str, str], *, link_one_way: bool = False
) -> None:
    """Log in, check each object's and field's permissions, and the API allocation."""
    client = salesforce_client(environ)
    try:
        _salesforce_login(client)
        for obj in objects:
            for problem in salesforce_problems(obj, _describe(client, obj), link_one_way):
                raise AccessError(problem)
        users = _describe(client, SyncedObject("users", "User", ""))
        if not users.get("queryable", False):
            raise AccessError(_permission("User", None, "Read", "the sync maps owners by user"))
        used = _allocation(client)
    except SalesforceClientError as exc:
        raise AccessError(f"Salesforce: {exc}") from None
    finally:
        client.close()
    logger.info(
        "Salesforce access checked: logged in with the %s flow; reads %s; writes %s; %s.",
        client.settings.auth_flow.value,
        ", ".join(dict.fromkeys(obj.sobject for obj in objects)),
        ", ".join(dict.fromkeys(obj.sobject for obj in objects if obj.two_way)) or "nothing",
        used,
    )


def _salesforce_login(client: SalesforceClient) -> None:
    login_url = client.settings.login_url
    try:
        client.login()
    except SalesforceUnavailableError:
        msg = (
            f"Salesforce login failed: {login_url} cannot be reached. Check "
            "SALESFORCE_LOGIN_URL (and REQUESTS_CA_BUNDLE for a private CA)."
        )
        raise AccessError(msg) from None
    except SalesforceAuthError as exc:
        setting = _AUTH_SETTINGS.get(exc.error) or _GRANT_SETTINGS.get(exc.flow, "the credentials")
        msg = (
            f"Salesforce login refused ({exc.flow} flow, {exc.error}: {exc.description}). "
            f"Check {setting}."
        )
        raise AccessError(msg) from None
    except SalesforceConfigError as exc:
        raise AccessError(f"Salesforce settings: {_with_variables(str(exc))}") from None


def _describe(client: SalesforceClient, obj: SyncedObject) -> dict[str, Any]:
    try:
        return client.describe(obj.sobject)
    except SalesforceApiError as exc:
        if exc.status in (403, 404) or exc.error_code in {"NOT_FOUND", "INVALID_TYPE"}:
            raise AccessError(
                _permission(obj.sobject, None, "Read", f"the sync reads {obj.name or 'it'}")
            ) from None
        raise


def salesforce_problems(
    obj: SyncedObject, describe: Mapping[str, Any], link_one_way: bool = False
) -> list[str]:
    """What the integration user lacks on one object, per its describe (empty when nothing).

    Args:
        obj: the synced object.
        describe: the object's describe as the integration user sees it.
        link_one_way: a one-way object's records get their link written (`initial_sync:
            match`), so it needs Edit on the object and on `ForceManager_Id__c`.
    """
    problems = []
    why = f"the sync reads {obj.name}"
    needed = [("queryable", "Read", why)]
    if obj.two_way:
        why = f"{obj.name} is two-way"
        needed += [
            ("createable", "Create", why),
            ("updateable", "Edit", why),
            ("deletable", "Delete", why),
        ]
    elif link_one_way:
        needed.append(("updateable", "Edit", "initial_sync: match writes the links"))
    problems += [
        _permission(obj.sobject, None, permission, reason)
        for flag, permission, reason in needed
        if not describe.get(flag, False)
    ]
    fields = {f["name"]: f for f in describe.get("fields", [])}
    link = fields.get(EXTERNAL_ID_FIELD)
    if link is None:
        problems.append(
            f"Salesforce field {obj.sobject}.{EXTERNAL_ID_FIELD} is missing (or hidden from "
            "the integration user by field-level security): create it (Text 20, unique, "
            "External ID) with `crmsync setup salesforce` or by hand, and let the user edit it."
        )
    written = [*obj.fields] if obj.two_way else []
    if obj.two_way or link_one_way:
        written.append(EXTERNAL_ID_FIELD)
    for name in written:
        described = fields.get(name)
        if described is None:
            if name != EXTERNAL_ID_FIELD:
                problems.append(_permission(obj.sobject, name, "Read", f"{obj.name} is two-way"))
            continue
        for flag, permission in (("createable", "Create"), ("updateable", "Edit")):
            if not described.get(flag, False):
                problems.append(_permission(obj.sobject, name, permission, "the sync writes it"))
    by_lower_name = {name.lower(): described for name, described in fields.items()}
    for pair in obj.pairs:
        problems += _pair_problems(obj, pair, by_lower_name.get(pair.salesforce.lower()))
    return problems


def _pair_problems(
    obj: SyncedObject, pair: FieldPair, described: Mapping[str, Any] | None
) -> list[str]:
    """What the integration user lacks on a user pair's Salesforce field (`field_mapping`)."""
    where = f"{obj.sobject}.{pair.salesforce}"
    if described is None:
        return [
            f"`{pair.setting}.salesforce`: Salesforce field {where} is missing (or hidden from "
            "the integration user by field-level security): correct the pair, or create the "
            "field and grant Read Access to it in the user's field-level security."
        ]
    if not obj.writes_to_salesforce(pair):
        return []
    return [
        f"`{pair.setting}`: the integration user cannot {permission} the field {where} "
        f"(direction {pair.direction} writes ForceManager's values to Salesforce): grant Edit "
        f"Access to {where} in its field-level security, or set `direction: sf_to_fm`."
        for flag, permission in (("createable", "Create"), ("updateable", "Edit"))
        if not described.get(flag, False)
    ]


def _permission(sobject: str, field_name: str | None, permission: str, why: str) -> str:
    if field_name is None:
        return (
            f"Salesforce permission missing: the integration user cannot {permission} "
            f"{sobject} records ({why}): grant {permission} on {sobject} in its profile or a "
            "permission set."
        )
    level = "Read Access" if permission == "Read" else "Edit Access"
    return (
        f"Salesforce permission missing: the integration user cannot {permission} the field "
        f"{sobject}.{field_name} ({why}): grant {level} to {sobject}.{field_name} in its "
        "field-level security."
    )


def _allocation(client: SalesforceClient) -> str:
    """Check the daily API allocation; return how much is used, for the log."""
    try:
        limits = client.get_json("limits/")
    except SalesforceApiError as exc:
        if exc.status == 403:  # `limits/` needs "View Setup and Configuration"
            logger.warning("Salesforce API allocation not checked (%s).", exc.error_code)
            return "API allocation not readable"
        raise
    daily = limits.get("DailyApiRequests") or {}
    allocation, remaining = int(daily.get("Max") or 0), int(daily.get("Remaining") or 0)
    share = client.settings.max_api_share_total or DEFAULT_MAX_API_SHARE_TOTAL
    used = allocation - remaining
    if allocation and (remaining <= 0 or used >= share * allocation):
        msg = (
            f"Salesforce daily API allocation nearly spent: {used} of {allocation} requests "
            f"used (the sync stops at {share:.0%}, max_api_share_total). Nothing was written; "
            "wait for the rolling 24-hour allocation to recover, or raise max_api_share_total."
        )
        raise AccessError(msg)
    return f"API allocation {used} of {allocation} used"


def _with_variables(message: str) -> str:
    """Name each setting by its variable: `password` -> `password (SALESFORCE_PASSWORD)`."""
    for key, variable in SALESFORCE_VARIABLES.items():
        if variable not in message:
            message = _replace_word(message, key, f"{key} ({variable})")
    return message


def _replace_word(text: str, word: str, replacement: str) -> str:
    out, start = [], 0
    while (index := text.find(word, start)) >= 0:
        end = index + len(word)
        before = text[index - 1] if index else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            out.append(text[start:index] + replacement)
        else:
            out.append(text[start:end])
        start = end
    out.append(text[start:])
    return "".join(out)


# -- ForceManager -------------------------------------------------------------------------------


def forcemanager_client(environ: Mapping[str, str]) -> ForceManagerClient:
    """A client over the plugins' variables."""
    public_key = environ.get("FORCEMANAGER_PUBLIC_KEY", "")
    private_key = environ.get("FORCEMANAGER_PRIVATE_KEY", "")
    for variable, value in (
        ("FORCEMANAGER_PUBLIC_KEY", public_key),
        ("FORCEMANAGER_PRIVATE_KEY", private_key),
    ):
        if not value:
            raise AccessError(f"ForceManager settings: {variable} is not set.")
    return ForceManagerClient(
        environ.get("FORCEMANAGER_BASE_URL") or DEFAULT_BASE_URL,
        public_key,
        private_key,
        requests_per_second=_rate(environ.get(RATE_VARIABLE)),
        retry_policy=FORCEMANAGER_RETRY,
        timeout=(10.0, REQUEST_TIMEOUT),
    )


def _rate(raw: str | None) -> float:
    try:
        rate = float(raw or DEFAULT_REQUESTS_PER_SECOND)
    except ValueError:
        return DEFAULT_REQUESTS_PER_SECOND
    return rate if rate > 0 else DEFAULT_REQUESTS_PER_SECOND


def check_forcemanager(objects: list[SyncedObject], environ: Mapping[str, str]) -> None:
    """Log in with the keys, and read each synced resource's schema."""
    client = forcemanager_client(environ)
    base_url = client.base_url
    resources = list(dict.fromkeys(obj.resource for obj in objects))
    try:
        _forcemanager_call("login", client.session.token, base_url)
        # One read per resource, its schema: the tap reads the extra-field listings when it
        # reads the schema, so a quiet cycle does not pay for them here.
        schemas = {
            resource: _forcemanager_call(
                f"GET /{resource}/schema", lambda r=resource: client.schema(r), base_url
            )
            for resource in resources
        }
        fields = {
            resource: {str(name).lower() for name in (_as_dict(schema).get("properties") or {})}
            for resource, schema in schemas.items()
        }
        extras_read: set[str] = set()
        for obj in objects:
            for pair in obj.pairs:
                _check_forcemanager_field(client, obj.resource, pair, fields, extras_read)
    finally:
        client.close()
    logger.info(
        "ForceManager access checked: logged in at %s; %s readable", base_url, ", ".join(resources)
    )


def _check_forcemanager_field(
    client: ForceManagerClient,
    resource: str,
    pair: FieldPair,
    fields: dict[str, set[str]],
    extras_read: set[str],
) -> None:
    """Refuse a pair whose ForceManager field is neither in `/schema` nor an extra field.

    Args:
        client: the logged-in client.
        resource: the pair's ForceManager resource.
        pair: the pair.
        fields: lower-case field names per resource, from `/schema`; a miss reads the
            resource's extra-field definitions once (a tenant whose `/schema` leaves them out)
            and adds them here.
        extras_read: the resources whose extra fields were read already.
    """
    known = fields[resource]
    if pair.forcemanager.lower() in known:
        return
    if resource not in extras_read:
        extras_read.add(resource)
        definitions = _forcemanager_call(
            f"GET /extrafields/{resource}", lambda: client.extra_fields(resource), client.base_url
        )
        known.update(
            f"z_{definition.get('fieldName')}".lower()
            for definition in definitions or []
            if isinstance(definition, dict)
            and definition.get("fieldName")
            and not definition.get("deleted")
        )
        if pair.forcemanager.lower() in known:
            return
    msg = (
        f"`{pair.setting}.forcemanager`: ForceManager {resource}.{pair.forcemanager} is "
        f"missing (not in GET /{resource}/schema nor its extra fields): correct the pair, or "
        "create the field in ForceManager (an extra field is named Z_<fieldName>)."
    )
    raise AccessError(msg)


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _forcemanager_call(what: str, call: Callable[[], Any], base_url: str) -> Any:
    try:
        return call()
    except ForceManagerAuthError as exc:
        if what == "login":
            msg = (
                f"ForceManager login refused (HTTP {exc.status}): check "
                "FORCEMANAGER_PUBLIC_KEY and FORCEMANAGER_PRIVATE_KEY."
            )
        else:
            msg = (
                f"ForceManager permission missing: {what} answered HTTP {exc.status} "
                f"({exc.message}): give the API user of FORCEMANAGER_PUBLIC_KEY access to it."
            )
        raise AccessError(msg) from None
    except ForceManagerTransientError as exc:
        if exc.status:
            msg = f"ForceManager {what} kept failing (HTTP {exc.status}): try again later."
        else:
            msg = (
                f"ForceManager {what} failed: {base_url} cannot be reached. "
                "Check FORCEMANAGER_BASE_URL."
            )
        raise AccessError(msg) from None
    except ForceManagerAPIError as exc:
        msg = f"ForceManager {what} refused (HTTP {exc.status}{_code(exc)}): " + (
            "check FORCEMANAGER_BASE_URL (up to and including /api/v4)."
            if exc.status == 404
            else f"{exc.message}."
        )
        raise AccessError(msg) from None
    except ForceManagerError as exc:
        raise AccessError(f"ForceManager {what} failed: {exc}") from None


def _code(exc: ForceManagerAPIError) -> str:
    return f" {exc.code}" if exc.code else ""
