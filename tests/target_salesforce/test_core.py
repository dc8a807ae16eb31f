"""The Singer SDK's standard target tests, against a Salesforce sandbox over HTTPS.

The standard streams are not publish objects, so the target reads them and writes
nothing; the suite proves the target takes any Singer stream without failing.
"""

from __future__ import annotations

import atexit
import os
import tempfile
from pathlib import Path

from crmsync_sandbox.testing import SandboxProcess
from singer_sdk.testing import get_target_test_class
from target_salesforce.target import TargetSalesforce

_TMP = Path(tempfile.mkdtemp(prefix="target-sf-core-"))
_SANDBOX = SandboxProcess(_TMP / "data", seed=7)
_SANDBOX.start()
atexit.register(_SANDBOX.stop)
os.environ["REQUESTS_CA_BUNDLE"] = _SANDBOX.env["REQUESTS_CA_BUNDLE"]

CONFIG = {
    "login_url": _SANDBOX.env["SALESFORCE_LOGIN_URL"],
    "client_id": _SANDBOX.env["SALESFORCE_CLIENT_ID"],
    "client_secret": _SANDBOX.env["SALESFORCE_CLIENT_SECRET"],
    "refresh_token": _SANDBOX.env["SALESFORCE_REFRESH_TOKEN"],
    "sync_log_dir": str(_TMP / "sync_log"),
}

TestTargetSalesforce = get_target_test_class(TargetSalesforce, config=CONFIG)
