"""Errors raised by tap-warehouse."""

from __future__ import annotations


class TapWarehouseError(Exception):
    """Base class of every error tap-warehouse raises."""


class WarehouseNotFoundError(TapWarehouseError):
    """The configured warehouse file does not exist."""
