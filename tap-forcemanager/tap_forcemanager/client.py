"""The base stream: every request goes through the shared ForceManager session."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import requests
from forcemanager_client import ForceManagerSession, page_size_headers
from forcemanager_client.errors import error_from_response
from forcemanager_client.where import all_of, changed_since
from singer_sdk.authenticators import APIAuthenticatorBase
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import PageNumberPaginator
from singer_sdk.streams import RESTStream
from typing_extensions import override

from tap_forcemanager.schemas import DATE_MODIFIED

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_forcemanager.tap import TapForceManager

#: State key: when the last complete read started. A change it missed was committed after
#: that moment, so its timestamp is later than the moment less the lookback window; starting
#: there (not at the newest record seen) keeps a quiet cycle from re-reading the last writes.
READ_FROM_KEY = "read_from"
#: The audit dates whose latest value is a record's `dateModified`.
_AUDIT_DATES = ("dateCreated", "dateUpdated", "dateDeleted")


class ForceManagerAuthenticator(APIAuthenticatorBase):
    """Puts the shared session's key on each request (logging in on first use).

    The session itself renews an expired key and re-sends the request, so the SDK never sees
    a 401 for an expired session.
    """

    def __init__(self, session: ForceManagerSession) -> None:
        """Wrap the shared session."""
        super().__init__()
        self._session = session

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Session-Key"] = self._session.token()
        return request


class ForceManagerPaginator(PageNumberPaginator):
    """Zero-based page numbers; an empty or short page is the last one."""

    def __init__(self, page_size: int) -> None:
        """Start at page 0."""
        super().__init__(0)
        self.page_size = page_size

    @override
    def has_more(self, response: requests.Response) -> bool:
        try:
            return len(response.json()) >= self.page_size
        except ValueError:
            return False


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse an API timestamp (0-3 fractional digits, `Z`) leniently; None if unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """A fixed-width UTC timestamp, so bookmarks compare correctly as text too."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def coerce_bool(value: Any) -> Any:
    """The API sends flags as booleans, 0/1 or their strings; keep None as None."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    if isinstance(value, int | float):
        return bool(value)
    return value


class ForceManagerStream(RESTStream[int]):
    """Base class of every ForceManager stream.

    Subclasses set `name`, `path`, keys and `schema`; `where_filter` adds a fixed filter.
    """

    primary_keys = ("id",)
    #: A fixed filter for this stream (e.g. calendar events vs tasks).
    where_filter: str | None = None

    @override
    @property
    def url_base(self) -> str:
        return str(self.config["base_url"]).rstrip("/")

    @property
    def fm_tap(self) -> TapForceManager:
        """The tap, typed."""
        return cast("TapForceManager", self._tap)

    @property
    def fm_session(self) -> ForceManagerSession:
        """The tap-wide session: one login, one rate limit for every stream."""
        return self.fm_tap.fm_session

    @override
    @property
    def requests_session(self) -> requests.Session:
        return self.fm_session

    @override
    @property
    def authenticator(self) -> ForceManagerAuthenticator:
        return ForceManagerAuthenticator(self.fm_session)

    @property
    def page_size(self) -> int:
        """Records per page (setting `page_size`)."""
        return int(self.config["page_size"])

    @override
    @property
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", **page_size_headers(self.page_size)}

    @override
    def get_new_paginator(self) -> ForceManagerPaginator:
        return ForceManagerPaginator(self.page_size)

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        params: dict[str, Any] = {"page": next_page_token or 0}
        where = all_of(self.where_filter, self.changed_since_filter(context))
        if where:
            params["where"] = where
        return params

    def changed_since_filter(self, context: Context | None) -> str | None:
        """The incremental filter: changed after the last complete read's start (or, before
        one, the bookmark) minus the lookback window."""
        if self.replication_method != "INCREMENTAL" or not self.replication_key:
            return None
        if self.config.get("full_refresh"):
            return None
        start = parse_timestamp(self.stream_state.get(READ_FROM_KEY))
        if start is None:
            start = self.get_starting_timestamp(context)
        if start is None:
            return None
        lookback = timedelta(seconds=int(self.config.get("lookback_seconds", 0)))
        return changed_since(start - lookback)

    @override
    def validate_response(self, response: requests.Response) -> None:
        # The session already retried transient failures; what is left is final.
        if not response.ok:
            error = error_from_response(response, self.fm_session.secrets)
            raise FatalAPIError(str(error))

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        body = response.json()
        if isinstance(body, list):
            yield from (record for record in body if isinstance(record, dict))

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        if "deleted" in row:
            row["deleted"] = coerce_bool(row["deleted"])
        if DATE_MODIFIED in self.schema.get("properties", {}):
            moments = [parse_timestamp(row.get(name)) for name in _AUDIT_DATES]
            latest = max((moment for moment in moments if moment), default=None)
            row[DATE_MODIFIED] = format_timestamp(latest) if latest else None
        return row
