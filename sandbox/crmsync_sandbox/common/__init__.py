"""Pieces both sandbox servers share: call counting, middleware, persistence, demo data, TLS."""

from crmsync_sandbox.common.counter import CallCounter
from crmsync_sandbox.common.demo import DemoData
from crmsync_sandbox.common.memory import gc_paused
from crmsync_sandbox.common.middleware import FailureFactory, SandboxMiddleware
from crmsync_sandbox.common.responses import OrjsonResponse
from crmsync_sandbox.common.store import RecordStore
from crmsync_sandbox.common.tls import TlsFiles, ensure_tls

__all__ = [
    "CallCounter",
    "DemoData",
    "FailureFactory",
    "OrjsonResponse",
    "RecordStore",
    "SandboxMiddleware",
    "TlsFiles",
    "ensure_tls",
    "gc_paused",
]
