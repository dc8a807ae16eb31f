"""The Singer SDK's standard target tests, against a Salesforce sandbox over HTTPS.

The standard streams are not publish objects, so the target reads them, warns that it has no
Salesforce object for them and writes nothing: those tests prove the target takes any Singer
stream without failing. The suite's own harness also runs one test with writes: publish rows
that create, update and delete accounts, checked in the sandbox and the sync log.
"""

from __future__ import annotations

import io
import json
import tempfile
import uuid
from pathlib import Path

from crmsync_sandbox.testing import start_for_import
from salesforce_client import SalesforceClient
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.templates import TargetTestTemplate
from target_salesforce.target import TargetSalesforce

from tests.target_salesforce.test_sandbox_apply import _messages, _row

_TMP = Path(tempfile.mkdtemp(prefix="target-sf-core-"))
_SANDBOX = start_for_import(_TMP, seed=7)

CONFIG = {
    "login_url": _SANDBOX.env["SALESFORCE_LOGIN_URL"],
    "client_id": _SANDBOX.env["SALESFORCE_CLIENT_ID"],
    "client_secret": _SANDBOX.env["SALESFORCE_CLIENT_SECRET"],
    "refresh_token": _SANDBOX.env["SALESFORCE_REFRESH_TOKEN"],
    "sync_log_dir": str(_TMP / "sync_log"),
}


class TargetWritesPublishRows(TargetTestTemplate):
    """Publish rows through the SDK's runner: a create, an update and a delete land."""

    name = "writes_publish_rows"

    def setup(self) -> None:
        """Create the records to update and delete; feed the runner the rows."""
        self.run_id = f"core-{uuid.uuid4().hex[:8]}"
        self.tag = uuid.uuid4().hex[:6]
        records = [{"attributes": {"type": "Account"}, "Name": f"{self.tag}-{i}"} for i in (1, 2)]
        client = SalesforceClient.from_config(CONFIG)
        try:
            response = client.request(
                "POST", "composite/sobjects", json={"allOrNone": False, "records": records}
            )
        finally:
            client.close()
        keep, drop = (result["id"] for result in response.json())
        fm_id = 900_000 + uuid.uuid4().int % 100_000
        rows = {
            "accounts": [
                _row(
                    self.run_id,
                    "create",
                    fm_id,
                    {"Name": f"{self.tag}-new", "ForceManager_Id__c": str(fm_id)},
                ),
                _row(self.run_id, "update", 1, {"Name": f"{self.tag}-renamed"}, salesforce_id=keep),
                _row(self.run_id, "delete", 2, {}, salesforce_id=drop),
            ]
        }
        self.runner.input_io = io.StringIO(_messages(rows))

    def validate(self) -> None:
        """The sandbox holds the writes and the sync log has a success line for each."""
        client = SalesforceClient.from_config(CONFIG)
        try:
            accounts = list(
                client.query(f"SELECT Name FROM Account WHERE Name LIKE '{self.tag}-%'")
            )
        finally:
            client.close()
        assert sorted(record["Name"] for record in accounts) == [
            f"{self.tag}-new",
            f"{self.tag}-renamed",
        ]
        log = Path(CONFIG["sync_log_dir"]) / f"{self.run_id}.target-salesforce.jsonl"
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert sorted((line["action"], line["status"]) for line in lines) == [
            ("create", "success"),
            ("delete", "success"),
            ("update", "success"),
        ]


TestTargetSalesforce = get_target_test_class(
    TargetSalesforce,
    config=CONFIG,
    custom_suites=[SingerTestSuite(kind="target", tests=[TargetWritesPublishRows])],
)
