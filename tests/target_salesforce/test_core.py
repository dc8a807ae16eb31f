"""The Singer SDK's standard target tests, against a Salesforce sandbox over HTTPS.

The standard streams are not publish objects, so the target reads them and writes
nothing; the suite proves the target takes any Singer stream without failing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from crmsync_sandbox.testing import start_for_import
from singer_sdk.testing import get_target_test_class
from target_salesforce.target import TargetSalesforce

_TMP = Path(tempfile.mkdtemp(prefix="target-sf-core-"))
_SANDBOX = start_for_import(_TMP, seed=7)

CONFIG = {
    "login_url": _SANDBOX.env["SALESFORCE_LOGIN_URL"],
    "client_id": _SANDBOX.env["SALESFORCE_CLIENT_ID"],
    "client_secret": _SANDBOX.env["SALESFORCE_CLIENT_SECRET"],
    "refresh_token": _SANDBOX.env["SALESFORCE_REFRESH_TOKEN"],
    "sync_log_dir": str(_TMP / "sync_log"),
}

TestTargetSalesforce = get_target_test_class(TargetSalesforce, config=CONFIG)
