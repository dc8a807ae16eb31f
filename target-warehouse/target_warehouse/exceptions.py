"""Errors raised by target-warehouse."""

from __future__ import annotations


class TargetWarehouseError(Exception):
    """Base class of every error target-warehouse raises."""


class MissingKeyColumnError(TargetWarehouseError):
    """A stream's key property does not map to a loadable column."""


class BatchLoadError(TargetWarehouseError):
    """A batch could not be written to the warehouse; nothing of it was kept."""
