"""The Singer SDK's standard target tests, against a ForceManager sandbox over HTTP.

The SDK's sample streams (countries, camelcase, special characters, ...) are not publish rows:
they carry no action, so the target ignores them with a warning; these tests prove it reads
any Singer input (schema changes, odd names, nested values) without crashing. The publish-row
behaviour is tested in test_apply.py.
"""

from __future__ import annotations

import atexit
import tempfile
from pathlib import Path

from crmsync_sandbox.testing import SandboxProcess
from singer_sdk.testing import get_target_test_class
from target_forcemanager.target import TargetForceManager

_TMP = Path(tempfile.mkdtemp(prefix="target-forcemanager-core-"))
_SANDBOX = SandboxProcess(_TMP / "data", only="forcemanager", empty=True).start()
atexit.register(_SANDBOX.stop)

CONFIG = {
    "base_url": _SANDBOX.forcemanager_url,
    "public_key": _SANDBOX.env["FORCEMANAGER_PUBLIC_KEY"],
    "private_key": _SANDBOX.env["FORCEMANAGER_PRIVATE_KEY"],
    "requests_per_second": 0,
    "sync_log_dir": str(_TMP / "log"),
}

TestTargetForceManager = get_target_test_class(target_class=TargetForceManager, config=CONFIG)
