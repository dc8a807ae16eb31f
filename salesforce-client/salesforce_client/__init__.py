"""Salesforce REST and Bulk API 2.0 client shared by tap-salesforce and target-salesforce."""

from salesforce_client.bulk import BulkClient, IngestResult
from salesforce_client.client import SalesforceClient
from salesforce_client.exceptions import (
    ApiBudgetExceededError,
    BulkJobError,
    SalesforceApiError,
    SalesforceAuthError,
    SalesforceClientError,
    SalesforceConfigError,
    SalesforceUnavailableError,
)
from salesforce_client.settings import AuthFlow, SalesforceSettings, auth_properties

__all__ = [
    "ApiBudgetExceededError",
    "AuthFlow",
    "BulkClient",
    "BulkJobError",
    "IngestResult",
    "SalesforceApiError",
    "SalesforceAuthError",
    "SalesforceClient",
    "SalesforceClientError",
    "SalesforceConfigError",
    "SalesforceSettings",
    "SalesforceUnavailableError",
    "auth_properties",
]
