"""Errors raised by the ForceManager client.

Every error message is redacted: no key, password or session token ever reaches it.
"""

from __future__ import annotations


class ForceManagerError(Exception):
    """Base class of every ForceManager client error."""


class ForceManagerAPIError(ForceManagerError):
    """The API answered with an error status.

    Attributes:
        status: The HTTP status code.
        code: The API's error code (the body's `code`), or None when the body has none.
        message: The API's error message (the body's `Message`/`message`), or the raw text.
        method: The HTTP method of the failed request.
        path: The request path (no query string, which may hold customer data).
    """

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        where = f" on {method} {path}" if method else ""
        code_part = f" (code {code})" if code else ""
        super().__init__(f"ForceManager API error {status}{code_part}{where}: {message}")


class ForceManagerRecordError(ForceManagerAPIError):
    """The API rejected one request (a 4xx other than auth or rate limit): retrying won't help."""


class ForceManagerAuthError(ForceManagerAPIError):
    """Login failed: the public or private key is wrong, or API access is not enabled."""


class ForceManagerTransientError(ForceManagerAPIError):
    """A transient failure (429, 408, 5xx, timeout, connection) outlasted every retry."""


class ForceManagerRateLimitError(ForceManagerTransientError):
    """The API kept answering 429 after every retry: the API budget is exhausted."""


class ForceManagerConnectionError(ForceManagerTransientError):
    """The API could not be reached (connection refused, DNS, timeout) after every retry."""
