"""The Singer SDK's standard target tests, against a ForceManager sandbox over HTTP.

The SDK's sample streams (countries, camelcase, special characters, ...) are not publish rows:
they carry no action, so the target ignores them with a warning; those tests prove it reads any
Singer input (schema changes, odd names, nested values) without crashing. The suite's own
harness also runs one test with writes: publish rows that create, update and delete accounts,
checked in the sandbox and the sync log. The rest of the publish-row behaviour is tested in
test_apply.py.
"""

from __future__ import annotations

import atexit
import io
import tempfile
import uuid
from pathlib import Path

from crmsync_sandbox.testing import SandboxProcess
from forcemanager_client import ForceManagerClient
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.templates import TargetTestTemplate
from target_forcemanager.target import TargetForceManager

from tests.target_forcemanager.conftest import read_log, singer_lines
from tests.target_forcemanager.test_apply import account_fields, row

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


def _client() -> ForceManagerClient:
    return ForceManagerClient(
        CONFIG["base_url"], CONFIG["public_key"], CONFIG["private_key"], requests_per_second=0
    )


class TargetWritesPublishRows(TargetTestTemplate):
    """Publish rows through the SDK's runner: a create, an update and a delete land."""

    name = "writes_publish_rows"

    def setup(self) -> None:
        """Create the records to update and delete; feed the runner the rows."""
        self.run_id = f"t{uuid.uuid4().hex[:12]}"
        with _client() as fm:
            self.existing = fm.create("accounts", account_fields(f"{self.run_id} old"))
            self.doomed = fm.create("accounts", account_fields(f"{self.run_id} doomed"))
        self.sf_id = f"{self.run_id}A"
        rows = {
            "accounts": [
                row(
                    self.run_id,
                    "create",
                    sf=self.sf_id,
                    fields=account_fields(f"{self.run_id} new", self.sf_id),
                ),
                row(self.run_id, "update", fm=self.existing, fields={"phone": "555-0199"}),
                row(self.run_id, "delete", fm=self.doomed),
            ]
        }
        self.runner.input_io = io.StringIO(singer_lines(rows))

    def validate(self) -> None:
        """The sandbox holds the writes and the sync log has a success line for each."""
        with _client() as fm:
            created = fm.find_by_ext_ids("accounts", [self.sf_id])[self.sf_id]
            assert fm.get_json(f"/accounts/{created}")["name"] == f"{self.run_id} new"
            assert fm.get_json(f"/accounts/{self.existing}")["phone"] == "555-0199"
            assert fm.get_json(f"/accounts/{self.doomed}")["deleted"] is True
        lines = read_log(Path(CONFIG["sync_log_dir"]), self.run_id)
        assert sorted((line["action"], line["status"]) for line in lines) == [
            ("create", "success"),
            ("delete", "success"),
            ("update", "success"),
        ]


TestTargetForceManager = get_target_test_class(
    target_class=TargetForceManager,
    config=CONFIG,
    custom_suites=[SingerTestSuite(kind="target", tests=[TargetWritesPublishRows])],
)
