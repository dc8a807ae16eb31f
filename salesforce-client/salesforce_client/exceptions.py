"""Errors raised by the Salesforce client.

Every message is built from redacted text: no secret (password, token, client secret,
access token) ever reaches an exception.
"""

from __future__ import annotations


class SalesforceClientError(Exception):
    """Base error of the Salesforce client package."""


class SalesforceConfigError(SalesforceClientError):
    """The settings do not describe a usable connection (missing or contradictory settings)."""


class SalesforceAuthError(SalesforceClientError):
    """The token endpoint refused the credentials.

    Args:
        flow: the OAuth flow that was tried (``password``, ``refresh_token``, ...).
        error: the OAuth ``error`` value (``invalid_grant``, ``invalid_client_id``, ...).
        description: the OAuth ``error_description``, already redacted.
    """

    def __init__(self, flow: str, error: str, description: str) -> None:
        super().__init__(
            f"Salesforce login failed with the {flow} flow: {error}: {description}. "
            "Check the Salesforce credentials settings."
        )
        self.flow = flow
        self.error = error
        self.description = description


class SalesforceApiError(SalesforceClientError):
    """A REST call answered with an error body ``[{"errorCode", "message"}]``.

    Args:
        status: HTTP status of the reply.
        error_code: the Salesforce ``errorCode`` (``MALFORMED_QUERY``, ``NOT_FOUND``, ...).
        message: the Salesforce message, already redacted.
        method: HTTP method of the call.
        path: path of the call, without query string.
    """

    def __init__(self, status: int, error_code: str, message: str, method: str, path: str) -> None:
        super().__init__(f"{method} {path} failed with HTTP {status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message


class SalesforceUnavailableError(SalesforceClientError):
    """The API could not be reached, or kept failing transiently after every retry."""


class ApiBudgetExceededError(SalesforceClientError):
    """This run used its share of the org's daily API allocation, or the org is near its cap."""


class BulkJobError(SalesforceClientError):
    """A Bulk API 2.0 job ended ``Failed`` or ``Aborted``."""
