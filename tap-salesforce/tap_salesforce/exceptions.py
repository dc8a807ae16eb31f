"""Errors of tap-salesforce."""

from __future__ import annotations


class TapSalesforceError(Exception):
    """Base error of the tap."""


class UnknownObjectError(TapSalesforceError):
    """A configured object does not exist in the org (or the user cannot see it)."""
