"""The Singer SDK's standard tap tests, run against a ForceManager sandbox over HTTP.

The SDK builds its per-stream tests from the tap's discovered streams when the module is
collected, so this module starts its own small ForceManager sandbox at import time (about a
second) instead of using the session fixture, which only exists once tests run.
"""

from __future__ import annotations

import atexit
import tempfile
from pathlib import Path

from crmsync_sandbox.testing import SandboxProcess
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_forcemanager.tap import TapForceManager

_DATA_DIR = Path(tempfile.mkdtemp(prefix="tap-forcemanager-core-")) / "data"
_SANDBOX = SandboxProcess(_DATA_DIR, seed=7, size="small", only="forcemanager").start()
atexit.register(_SANDBOX.stop)

CONFIG = {
    "base_url": _SANDBOX.forcemanager_url,
    "public_key": _SANDBOX.env["FORCEMANAGER_PUBLIC_KEY"],
    "private_key": _SANDBOX.env["FORCEMANAGER_PRIVATE_KEY"],
    "start_date": "2000-01-01T00:00:00Z",
    # The sandbox has no rate limit; the client-side limit is tested in forcemanager_client.
    "requests_per_second": 0,
}

TestTapForceManager = get_tap_test_class(
    tap_class=TapForceManager,
    config=CONFIG,
    suite_config=SuiteConfig(max_records_limit=None),
)
