"""Turn ForceManager error responses into typed exceptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from crmsync_common.redact import redact

from forcemanager_client.exceptions import (
    ForceManagerAPIError,
    ForceManagerAuthError,
    ForceManagerRecordError,
)

#: The API's code for an expired or invalid session key (ForceManager's own bridge re-logs in).
SESSION_EXPIRED_CODE = "2"

#: Raw error text kept when the body is not JSON: enough to diagnose, not a whole HTML page.
MAX_RAW_ERROR_TEXT = 500


def _get_ci(body: dict[str, Any], key: str) -> Any:
    """Read `key` from `body` case-insensitively (the API writes `Message` and `message`)."""
    for name, value in body.items():
        if name.lower() == key:
            return value
    return None


def parse_error_body(response: requests.Response) -> tuple[str | None, str]:
    """Return the API's error code and message from an error response.

    Args:
        response: An error response.

    Returns:
        `(code, message)`; the code is None when the body has none, the message falls back to
        the raw text or the HTTP reason.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = _get_ci(body, "code")
        message = _get_ci(body, "message") or _get_ci(body, "error")
        if message is None:
            message = response.text[:MAX_RAW_ERROR_TEXT]
        return (None if code is None else str(code)), str(message)
    text = response.text.strip()[:MAX_RAW_ERROR_TEXT]
    return None, text or (response.reason or f"HTTP {response.status_code}")


def is_session_expired(response: requests.Response) -> bool:
    """Whether `response` says the session key is missing, invalid or expired."""
    if response.status_code != 401:
        return False
    code, _ = parse_error_body(response)
    return code == SESSION_EXPIRED_CODE


def error_from_response(
    response: requests.Response,
    secrets: Iterable[str | None] = (),
    *,
    error_class: type[ForceManagerAPIError] | None = None,
) -> ForceManagerAPIError:
    """Build the typed, redacted exception for an error response.

    Args:
        response: The error response.
        secrets: Values to mask in the message (keys, tokens).
        error_class: Force this class; by default 4xx gives `ForceManagerRecordError`.

    Returns:
        The exception, not raised.
    """
    secrets = list(secrets)
    code, message = parse_error_body(response)
    method = response.request.method if response.request is not None else ""
    path = urlsplit(response.url or "").path
    cls = error_class or ForceManagerRecordError
    if error_class is None and response.status_code in (401, 403):
        cls = ForceManagerAuthError
    return cls(
        response.status_code,
        code,
        redact(message, secrets),
        method=method or "",
        path=redact(path, secrets),
    )
