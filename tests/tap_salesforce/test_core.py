"""The Singer SDK's standard tap tests, against a Salesforce sandbox over HTTPS.

The standard suite discovers streams while tests are collected, so this module starts its
own sandbox when imported (the session fixtures start only once tests run).
"""

from __future__ import annotations

import atexit
import os
import tempfile
from pathlib import Path

from crmsync_sandbox.testing import SandboxProcess
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_salesforce.tap import TapSalesforce

_SANDBOX = SandboxProcess(Path(tempfile.mkdtemp(prefix="tap-sf-core-")) / "data", seed=7)
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
    "username": _SANDBOX.env["SALESFORCE_USERNAME"],
    "password": _SANDBOX.env["SALESFORCE_PASSWORD"],
    "security_token": _SANDBOX.env["SALESFORCE_SECURITY_TOKEN"],
}

TestTapSalesforce = get_tap_test_class(
    TapSalesforce,
    config=CONFIG,
    suite_config=SuiteConfig(max_records_limit=100),
)
