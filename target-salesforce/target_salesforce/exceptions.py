"""Errors of target-salesforce."""

from __future__ import annotations


class TargetSalesforceError(Exception):
    """Base error of the target."""


class UnresolvedReferenceError(TargetSalesforceError):
    """A ``refs`` entry names a record that neither this run nor Salesforce knows."""
