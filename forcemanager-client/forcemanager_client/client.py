"""The ForceManager API client used by the target, the tap's helpers and the benchmarks."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import requests

from forcemanager_client.errors import error_from_response
from forcemanager_client.exceptions import ForceManagerAPIError, ForceManagerTransientError
from forcemanager_client.retry import RetryPolicy
from forcemanager_client.session import DEFAULT_TIMEOUT, ForceManagerSession
from forcemanager_client.where import all_of, any_equal

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.forcemanager.com/api/v4"

#: ForceManager's plans allow 4 or 13 requests per second; 4 is safe for every plan.
DEFAULT_REQUESTS_PER_SECOND = 4.0

#: The API pages at 50 by default; larger pages mean fewer calls for the same data.
DEFAULT_PAGE_SIZE = 500

#: extIds per lookup call: one OR list this long keeps the query string well under URL limits
#: (an 18-char Salesforce id costs about 30 characters encoded).
EXT_ID_LOOKUP_CHUNK = 50

#: How often an ambiguous create (5xx, timeout) is checked by extId and sent again.
MAX_CREATE_ATTEMPTS = 4

#: The page-size header goes by two names in the docs; sending both is harmless.
PAGE_SIZE_HEADERS = ("Count", "X-FM-Entity-Count")


def page_size_headers(page_size: int) -> dict[str, str]:
    """Headers asking for `page_size` records per page."""
    return dict.fromkeys(PAGE_SIZE_HEADERS, str(page_size))


class ForceManagerClient:
    """Typed calls to the ForceManager REST API v4.

    Thread-safe: share one client between worker threads so they share one session key, one
    connection pool and one rate limit.
    """

    def __init__(
        self,
        base_url: str,
        public_key: str,
        private_key: str,
        *,
        requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND,
        retry_policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        pool_size: int = 10,
    ) -> None:
        """Create a client; the first call logs in.

        Args:
            base_url: API base, e.g. `https://api.forcemanager.com/api/v4`.
            public_key: API public key.
            private_key: API private key.
            requests_per_second: Client-side rate limit shared by every thread; 0 disables it.
            retry_policy: Backoff and number of tries for transient failures.
            timeout: (connect, read) timeout in seconds.
            pool_size: HTTP connections kept open (at least the number of worker threads).
        """
        self.session = ForceManagerSession(
            base_url,
            public_key,
            private_key,
            requests_per_second=requests_per_second,
            retry_policy=retry_policy,
            timeout=timeout,
            pool_size=pool_size,
        )

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self.session.base_url

    def close(self) -> None:
        """Close the connection pool."""
        self.session.close()

    def __enter__(self) -> ForceManagerClient:
        """Use the client as a context manager."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close on exit."""
        self.close()

    # -- raw calls -----------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send one call and return its successful response.

        Args:
            method: HTTP method.
            path: Path below the base URL, e.g. `/accounts/12`.
            params: Query parameters.
            json: JSON body.
            headers: Extra headers.

        Returns:
            The 2xx response.

        Raises:
            ForceManagerRecordError: The API rejected the call (4xx).
            ForceManagerAuthError: Login failed.
            ForceManagerTransientError: A transient failure outlasted every retry.
        """
        url = f"{self.session.base_url}/{path.lstrip('/')}"
        response = self.session.request(method, url, params=params, json=json, headers=headers)
        if not response.ok:
            raise error_from_response(response, self.session.secrets)
        return response

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """GET `path` and return the decoded body."""
        return self.request("GET", path, **kwargs).json()

    def iter_pages(
        self,
        path: str,
        *,
        where: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        params: dict[str, Any] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the pages of a list endpoint until an empty or short page.

        Args:
            path: List path, e.g. `/accounts`.
            where: Optional filter expression.
            page_size: Records per page.
            params: Other query parameters.

        Yields:
            Each non-empty page.
        """
        page = 0
        while True:
            query = {**(params or {}), "page": page}
            if where:
                query["where"] = where
            records = self.get_json(path, params=query, headers=page_size_headers(page_size))
            if not records:
                return
            yield records
            if len(records) < page_size:
                return
            page += 1

    # -- records -------------------------------------------------------------------------------
    def create(self, resource: str, body: dict[str, Any], *, ext_id: str | None = None) -> int:
        """Create a record and return its id.

        A create that fails ambiguously (5xx, timeout: it may have been applied) is checked by
        `ext_id` before it is sent again, so it never creates a duplicate.

        Args:
            resource: Resource path name, e.g. `accounts`.
            body: The record (references as ints).
            ext_id: The record's `extId`, to check after an ambiguous failure.

        Returns:
            The new (or found) record id.

        Raises:
            ForceManagerAPIError: The API rejected the record, or every try failed.
        """
        for attempt in range(1, MAX_CREATE_ATTEMPTS + 1):
            try:
                response = self.request("POST", f"/{resource}", json=body)
                return _created_id(response)
            except ForceManagerTransientError:
                if ext_id is None or attempt == MAX_CREATE_ATTEMPTS:
                    raise
                found = self.find_by_ext_ids(resource, [ext_id]).get(ext_id)
                if found is not None:
                    return found
                logger.warning("Create on %s failed transiently; sending it again", resource)
        raise AssertionError("unreachable")  # pragma: no cover

    def update(self, resource: str, record_id: int | str, body: dict[str, Any]) -> None:
        """Partially update a record: only the fields in `body` change."""
        self.request("PUT", f"/{resource}/{record_id}", json=body)

    def delete(self, resource: str, record_id: int | str) -> None:
        """Delete a record (ForceManager keeps it, flagged deleted)."""
        self.request("DELETE", f"/{resource}/{record_id}")

    def find_by_ext_ids(
        self, resource: str, ext_ids: Iterable[str], *, where: str | None = None
    ) -> dict[str, int]:
        """Find live records by `extId`, `EXT_ID_LOOKUP_CHUNK` ids per call.

        Args:
            resource: Resource path name.
            ext_ids: External ids to look for.
            where: An extra filter ANDed to the lookup.

        Returns:
            extId -> record id for each one found (the lowest id if there are several).
        """
        wanted = sorted({ext_id for ext_id in ext_ids if ext_id})
        found: dict[str, int] = {}
        for start in range(0, len(wanted), EXT_ID_LOOKUP_CHUNK):
            chunk = wanted[start : start + EXT_ID_LOOKUP_CHUNK]
            clause = all_of(any_equal("extId", chunk), where)
            for page in self.iter_pages(f"/{resource}", where=clause, page_size=len(chunk) * 2):
                for record in page:
                    ext_id, record_id = record.get("extId"), record.get("id")
                    if _is_live(record) and ext_id in chunk and record_id is not None:
                        found[ext_id] = min(found.get(ext_id, record_id), int(record_id))
        return found

    # -- metadata ------------------------------------------------------------------------------
    def schema(self, resource: str) -> dict[str, Any]:
        """The resource's JSON-schema-like description (`GET /{resource}/schema`)."""
        result: dict[str, Any] = self.get_json(f"/{resource}/schema")
        return result

    def extra_fields(self, resource: str) -> list[dict[str, Any]]:
        """Every extra-field definition of a resource (`GET /extrafields/{resource}`)."""
        return [record for page in self.iter_pages(f"/extrafields/{resource}") for record in page]

    def create_extra_field(self, resource: str, body: dict[str, Any]) -> int:
        """Create an extra-field definition and return its id."""
        return _created_id(self.request("POST", f"/extrafields/{resource}", json=body))


def _is_live(record: dict[str, Any]) -> bool:
    """Not deleted (the flag may arrive as a bool or as 0/1)."""
    deleted = record.get("deleted")
    return not deleted or deleted in ("0", "false", "False")


def _created_id(response: requests.Response) -> int:
    try:
        body = response.json()
        return int({key.lower(): value for key, value in body.items()}["id"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ForceManagerAPIError(
            response.status_code, None, "create answered without an id", method="POST"
        ) from None
