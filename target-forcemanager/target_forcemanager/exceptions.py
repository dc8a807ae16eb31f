"""Errors raised by target-forcemanager."""

from __future__ import annotations


class TargetForceManagerError(Exception):
    """Base class of the target's own errors (API errors come from `forcemanager_client`)."""


class UnresolvedReferenceError(TargetForceManagerError):
    """A `refs` entry names a record neither created in this run nor found by extId."""


class RunAbortedError(TargetForceManagerError):
    """The run stopped on a run-level failure; every line written so far stays logged."""
