"""The Singer SDK's standard tap tests, against a Salesforce sandbox over HTTPS.

The standard suite discovers streams while tests are collected, so this module starts its
own sandbox when imported (the session fixtures start only once tests run).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from crmsync_sandbox.testing import start_for_import
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_salesforce.tap import TapSalesforce

_TMP = Path(tempfile.mkdtemp(prefix="tap-sf-core-"))
_SANDBOX = start_for_import(_TMP, seed=7)

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
