"""The Salesforce sandbox's self-benchmark and its fast path for fixed-path GETs, over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from crmsync_sandbox.salesforce import selfbench
from crmsync_sandbox.testing import SandboxProcess

from tests.sandbox.salesforce_helpers import TIMEOUT_S, SfApi, error_code, https_session

_RECORDS = 250


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A Salesforce-only sandbox with a few hundred records per object."""
    folder: Path = tmp_path_factory.mktemp("sf-bench") / "data"
    started = SandboxProcess(folder, only="salesforce", seed=2, size=_RECORDS).start()
    yield started
    started.stop()


def test_measure_reports_throughput_and_restores_the_allocation(process: SandboxProcess) -> None:
    """Client processes send every request without error; paging reads every record."""
    api = SfApi(process)
    api.admin_limits(15_000, 42)
    figures = selfbench.measure(
        process.env, process.ca_bundle, small_requests=400, clients=4, sobject="Contact"
    )
    assert figures["requests"] == 400
    assert figures["errors"] == 0
    assert figures["connections"] == 4
    assert figures["requests_per_s"] > 0
    assert figures["records"] == _RECORDS
    assert figures["records_per_s"] > 0
    assert figures["requests_per_server_cpu_s"] > 0
    admin = api.session.get(api.root + "/__sandbox/salesforce/limits", timeout=TIMEOUT_S).json()
    assert admin == {"max": 15_000, "used": 42}


def test_fixed_path_gets_behave_like_routed_ones(process: SandboxProcess) -> None:
    """limits/ and the resource lists: counted by template, 401, bad version, 405, limit header."""
    api = SfApi(process)
    api.admin_limits(15_000, 0)
    reset = api.session.post(api.root + "/__sandbox/calls/reset", timeout=TIMEOUT_S)
    assert reset.status_code == 200
    limits = api.call("GET", "limits/")
    assert limits.status_code == 200
    assert limits.json()["DailyApiRequests"] == {"Max": 15_000, "Remaining": 14_999}
    assert limits.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert api.call("GET", "sobjects/").json()["sobjects"]
    assert "limits" in api.call("GET", "/services/data/v59.0/").json()
    anonymous = https_session(process).get(api.root + "/services/data/v59.0/limits/")
    assert anonymous.status_code == 401
    assert error_code(anonymous) == "INVALID_SESSION_ID"
    old = api.call("GET", "/services/data/v49.0/limits/")
    assert old.status_code == 404
    assert error_code(old) == "NOT_FOUND"
    assert api.call("POST", "limits/").status_code == 405
    calls = api.session.get(api.root + "/__sandbox/calls", timeout=TIMEOUT_S).json()
    by_route = calls["by_route"]
    assert by_route["GET /services/data/v59.0/limits/"] == 2
    assert by_route["GET /services/data/v49.0/limits/"] == 1
    assert by_route["GET /services/data/v59.0/sobjects/"] == 1
    assert by_route["GET /services/data/v59.0/"] == 1
    assert by_route["POST /services/data/v59.0/limits/"] == 1
