"""Reading and editing both CRMs in end-to-end tests, through the production client code."""

from __future__ import annotations

from typing import Any

from crmsync.local import JobRun, LocalSync

#: ForceManager resources per sync object (events and tasks share the calendar).
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Authentication and Bulk 2.0 query jobs are not writes (docs/contracts.md section 2).
NOT_WRITES = ("/services/oauth2/token", "/services/Soap/", "/login", "/jobs/query")


def fm_live(sync: LocalSync, resource: str, where: str | None = None) -> list[dict[str, Any]]:
    """Every live (not deleted) ForceManager record of `resource`."""
    records: list[dict[str, Any]] = []
    for page in sync.forcemanager.iter_pages(f"/{resource}", where=where, page_size=1000):
        records.extend(r for r in page if not r.get("deleted"))
    return records


def fm_by_ext_id(sync: LocalSync, resource: str) -> dict[str, dict[str, Any]]:
    """Live ForceManager records of `resource` keyed by `extId` (the Salesforce Id)."""
    records = fm_live(sync, resource)
    by_ext = {r["extId"]: r for r in records if r.get("extId")}
    ext_ids = [r["extId"] for r in records if r.get("extId")]
    assert len(ext_ids) == len(by_ext), f"duplicate extId in ForceManager {resource}"
    return by_ext


def sf_live(sync: LocalSync, soql: str) -> list[dict[str, Any]]:
    """Records of a SOQL query (deleted ones excluded)."""
    return list(sync.salesforce.query(soql))


def write_calls(sync: LocalSync, system: str) -> dict[str, int]:
    """The write calls a sandbox served since the last reset, by route."""
    routes = sync.calls(system)["by_route"]
    return {
        route: count
        for route, count in routes.items()
        if route.split(" ", 1)[0] in WRITE_METHODS and not any(p in route for p in NOT_WRITES)
    }


def ref_id(value: Any) -> Any:
    """The id of a ForceManager `{id, value}` reference (or the value itself)."""
    return value.get("id") if isinstance(value, dict) else value


def refused(run: JobRun, *needles: str) -> str:
    """The run failed with exactly one error line naming every needle, without a traceback."""
    assert run.returncode != 0, run.output[-3000:]
    assert "Traceback" not in run.output, run.output[-3000:]
    errors = [line for line in run.output.splitlines() if "crmsync: error:" in line]
    assert len(errors) == 1, run.output[-3000:]
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]
