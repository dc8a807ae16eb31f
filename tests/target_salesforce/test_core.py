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
# requests reads the CA bundle from the environment; other modules' sandboxes have their own
# test CAs, so this one is added to the bundle already set rather than replacing it.
_BUNDLE = Path(tempfile.mkdtemp(prefix="ca-")) / "bundle.pem"
_BUNDLE.write_text(
    "".join(
        Path(path).read_text()
        for path in (os.environ.get("REQUESTS_CA_BUNDLE"), _SANDBOX.env["REQUESTS_CA_BUNDLE"])
        if path and Path(path).is_file()
    )
)
os.environ["REQUESTS_CA_BUNDLE"] = str(_BUNDLE)

CONFIG = {
    "login_url": _SANDBOX.env["SALESFORCE_LOGIN_URL"],
    "client_id": _SANDBOX.env["SALESFORCE_CLIENT_ID"],
    "client_secret": _SANDBOX.env["SALESFORCE_CLIENT_SECRET"],
    "refresh_token": _SANDBOX.env["SALESFORCE_REFRESH_TOKEN"],
    "sync_log_dir": str(_TMP / "sync_log"),
}

TestTargetSalesforce = get_target_test_class(TargetSalesforce, config=CONFIG)
