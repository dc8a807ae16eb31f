"""Errors of the sandbox package."""

from __future__ import annotations


class SandboxError(Exception):
    """Base class of every error the sandbox raises on purpose."""


class SandboxConfigError(SandboxError):
    """An option value no server can honour."""


class SandboxStartError(SandboxError):
    """A sandbox process did not become ready."""


class WhereSyntaxError(SandboxError):
    """A ForceManager `where` or `order` expression that cannot be evaluated."""


class ValidationError(SandboxError):
    """A request body the emulated API would reject (answered with a 400)."""
