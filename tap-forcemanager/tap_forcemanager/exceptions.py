"""Errors raised by tap-forcemanager."""

from __future__ import annotations


class TapForceManagerError(Exception):
    """Base class of the tap's own errors (API errors come from `forcemanager_client`)."""


class SchemaDiscoveryError(TapForceManagerError):
    """A resource's `/schema` answer could not be turned into a Singer schema."""
