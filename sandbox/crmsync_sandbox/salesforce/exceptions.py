"""Errors of the Salesforce sandbox, each carrying the shape the real API answers with."""

from __future__ import annotations


class SalesforceSandboxError(Exception):
    """Base error of the Salesforce sandbox package."""


class ApiError(SalesforceSandboxError):
    """A REST error answered as ``[{"message", "errorCode", "fields"}]`` with an HTTP status.

    Args:
        status: HTTP status code of the reply.
        code: Salesforce ``errorCode`` (``MALFORMED_QUERY``, ``NOT_FOUND``, ...).
        message: human readable message, worded like the real org's.
        fields: field names the error is about, if any.
    """

    def __init__(
        self, status: int, code: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, object]]:
        """Return the JSON array body of the error reply."""
        item: dict[str, object] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]


class RecordError(SalesforceSandboxError):
    """A per-record write failure (validation, reference, duplicate).

    Single-record routes answer it as a 400 (or 404) :class:`ApiError`; collections and Bulk
    ingest report it per record with ``statusCode``.
    """

    def __init__(
        self, code: str, message: str, fields: list[str] | None = None, status: int = 400
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields or []
        self.status = status

    def as_api_error(self) -> ApiError:
        """Return the same failure as a REST error reply."""
        return ApiError(self.status, self.code, self.message, self.fields)

    def as_result_error(self) -> dict[str, object]:
        """Return the failure as a collections result error item."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


class SoqlError(SalesforceSandboxError):
    """A SOQL query the org refuses (``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def as_api_error(self) -> ApiError:
        """Return the failure as a 400 REST error reply."""
        return ApiError(400, self.code, self.message)


class OAuthError(SalesforceSandboxError):
    """An OAuth token-endpoint failure, answered as ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
