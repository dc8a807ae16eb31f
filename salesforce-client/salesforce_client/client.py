"""The REST session: auth, re-auth on expiry, retries, the API budget, typed errors."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

import requests
from crmsync_common.apicalls import LEDGER, CallCounter
from crmsync_common.redact import redact

from salesforce_client.auth import AccessToken, OAuthAuthenticator
from salesforce_client.budget import LIMIT_HEADER, ApiBudget
from salesforce_client.exceptions import SalesforceApiError, SalesforceUnavailableError
from salesforce_client.retry import RetryPolicy, is_retryable
from salesforce_client.settings import SalesforceSettings

logger = logging.getLogger(__name__)

#: A 401 on a fresh token means the credentials lost access; one re-login per call is enough.
MAX_REAUTH_PER_CALL = 2
SESSION_EXPIRED = "INVALID_SESSION_ID"
#: Failures that leave no usable reply: unreachable, timed out, or a connection reset while the
#: body was read (requests raises ChunkedEncodingError for a body cut short). Each is retried.
_NO_REPLY = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class SalesforceClient:
    """One authenticated connection to an org.

    Paths starting with ``/`` are taken from the instance root (``/services/...``); other
    paths are relative to the versioned data API (``sobjects/Account/describe``).

    Args:
        settings: the connection settings.
        session: an HTTP session to use (a new one by default).
        retry: the retry policy for transient failures.
        calls: where every request sent is counted (by default the process's Salesforce
            counter, which the step's `CallRecorder` records).
    """

    def __init__(
        self,
        settings: SalesforceSettings,
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        calls: CallCounter | None = None,
    ) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.retry = retry or RetryPolicy()
        self.budget = ApiBudget(settings.max_api_share_per_run, settings.max_api_share_total)
        self.calls = calls or LEDGER.side("salesforce")
        self._auth = OAuthAuthenticator(settings, self.session, calls=self.calls)
        self._token: AccessToken | None = None
        self._token_lock = threading.Lock()
        self._describes: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SalesforceClient:
        """Build a client from a plugin config.

        Args:
            config: the plugin config.

        Returns:
            A client (not yet logged in).
        """
        return cls(SalesforceSettings.from_config(config))

    # -- session ----------------------------------------------------------------------------

    def login(self) -> AccessToken:
        """Log in now (normally done lazily by the first call).

        Returns:
            The session.
        """
        with self._token_lock:
            self._token = self._fetch_token()
            return self._token

    def _fetch_token(self) -> AccessToken:
        """Ask the token endpoint, retrying transient faults (5xx, unreachable) with backoff.

        Refused credentials raise at once: another attempt cannot fix them.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._auth.fetch()
            except SalesforceUnavailableError as exc:
                if attempt >= self.retry.max_attempts:
                    raise
                self.calls.retried()
                wait = self.retry.delay(attempt)
                logger.warning(
                    "Salesforce login failed transiently (%s); retry in %.1f s.", exc, wait
                )
                time.sleep(wait)

    @property
    def token(self) -> AccessToken:
        """The current session, logging in first if there is none."""
        return self._token or self.login()

    @property
    def instance_url(self) -> str:
        """Base URL of the org's instance."""
        return self.token.instance_url

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path``.

        Args:
            path: an instance-root path (``/services/...``) or a data-API-relative one.

        Returns:
            The URL on the instance.
        """
        if path.startswith(("https://", "http://")):
            return path
        if path.startswith("/"):
            return self.instance_url + path
        return f"{self.instance_url}{self.settings.data_path}/{path}"

    def close(self) -> None:
        """Release the HTTP connections."""
        self.session.close()

    # -- calls ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Make one API call, with re-auth on session expiry and retries on transient faults.

        Args:
            method: HTTP method.
            path: see :meth:`url`.
            params: query parameters.
            json: a JSON body.
            data: a raw body (CSV for Bulk 2.0 ingest).
            headers: extra headers.

        Returns:
            The successful reply.

        Raises:
            SalesforceApiError: a non-transient error reply.
            SalesforceUnavailableError: transient faults outlasted every retry.
        """
        attempt = 0
        reauths = 0
        while True:
            attempt += 1
            self.budget.check()
            response = self._send(
                method, path, params=params, json=json, data=data, headers=headers, attempt=attempt
            )
            if response is not None and response.ok:
                return response
            error = self._error_of(method, path, response) if response is not None else None
            if error and error.status == 401 and error.error_code == SESSION_EXPIRED:
                reauths += 1
                if reauths > MAX_REAUTH_PER_CALL:
                    raise error
                logger.info("Salesforce session expired; logging in again.")
                self.login()
                attempt -= 1  # a re-login is not a failed attempt
                continue
            if error and not is_retryable(error.status, error.error_code):
                raise error
            if attempt >= self.retry.max_attempts:
                reason = str(error) if error else "no reply"
                msg = f"{method} {path} still failing after {attempt} attempts: {reason}"
                raise SalesforceUnavailableError(msg)
            self.calls.retried()
            wait = self.retry.delay(attempt)
            logger.warning(
                "Transient Salesforce failure on %s %s (%s); retry %d in %.1f s.",
                method,
                _path_only(path),
                error.error_code if error else "no reply",
                attempt,
                wait,
            )
            time.sleep(wait)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        data: str | bytes | None,
        headers: Mapping[str, str] | None,
        attempt: int,
    ) -> requests.Response | None:
        all_headers = {"Authorization": f"Bearer {self.token.access_token}"}
        if json is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        self.calls.sent(method, path)
        try:
            response = self.session.request(
                method,
                self.url(path),
                params=params,
                json=json,
                data=data,
                headers=all_headers,
                timeout=self.settings.request_timeout,
            )
        except _NO_REPLY as exc:
            detail = redact(str(exc), [*self.settings.secrets, self.token.access_token])
            logger.warning("Salesforce unreachable (attempt %d): %s", attempt, detail)
            return None
        self.budget.record_call(response.headers.get(LIMIT_HEADER))
        return response

    def _error_of(self, method: str, path: str, response: requests.Response) -> SalesforceApiError:
        code, message = "UNKNOWN_ERROR", response.reason or ""
        try:
            body = response.json()
        except ValueError:
            body = None
        item = body[0] if isinstance(body, list) and body else body
        if isinstance(item, dict):
            code = str(item.get("errorCode") or item.get("error") or code)
            message = str(item.get("message") or item.get("error_description") or message)
        secrets = [*self.settings.secrets, self.token.access_token]
        return SalesforceApiError(
            response.status_code, code, redact(message, secrets), method, _path_only(path)
        )

    # -- helpers ----------------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return the parsed JSON body.

        Args:
            path: see :meth:`url`.
            params: query parameters.

        Returns:
            The parsed body.
        """
        return self.request("GET", path, params=params).json()

    def describe(self, sobject: str) -> dict[str, Any]:
        """Return the object's describe, fetched once per client.

        Args:
            sobject: the object API name.

        Returns:
            The describe result.
        """
        if sobject not in self._describes:
            self._describes[sobject] = self.get_json(f"sobjects/{sobject}/describe")
        return self._describes[sobject]

    def metadata_changed_since(self, moment: datetime) -> bool:
        """Whether any object's metadata changed since `moment` (one describe global call
        with ``If-Modified-Since``; Salesforce answers 304 when nothing changed).

        Args:
            moment: when the caller last described.

        Returns:
            False only on a 304.
        """
        # HTTP dates have whole seconds: a second earlier never misses a change.
        since = format_datetime(moment.astimezone(UTC) - timedelta(seconds=1), usegmt=True)
        response = self.request("GET", "sobjects", headers={"If-Modified-Since": since})
        return response.status_code != HTTPStatus.NOT_MODIFIED

    def query_pages(self, soql: str, *, include_deleted: bool = True) -> Iterator[dict[str, Any]]:
        """Run a SOQL query and yield each result page (REST paging by ``nextRecordsUrl``).

        Args:
            soql: the query.
            include_deleted: use ``queryAll`` so deleted and archived records come too.

        Yields:
            Each page: ``{"totalSize", "done", "records", ...}``.
        """
        endpoint = "queryAll" if include_deleted else "query"
        page = self.get_json(endpoint, params={"q": soql})
        yield page
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = self.get_json(page["nextRecordsUrl"])
            yield page

    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Yield every record of a SOQL query, ``attributes`` removed.

        Args:
            soql: the query.
            include_deleted: use ``queryAll``.

        Yields:
            Each record.
        """
        for page in self.query_pages(soql, include_deleted=include_deleted):
            for record in page.get("records", []):
                record.pop("attributes", None)
                yield record


def _path_only(path: str) -> str:
    """Strip the query string, which may carry a SOQL statement of any length."""
    return path.split("?", 1)[0]
