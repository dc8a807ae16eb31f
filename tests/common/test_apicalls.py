"""Counting API calls and recording them per step beside the sync log (crmsync_common.apicalls)."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from crmsync_common import apicalls
from crmsync_common.apicalls import CallLedger, CallRecorder, begin_cycle, call_kind, current_cycle
from crmsync_common.synclog import SyncLog, SyncLogLine


@pytest.mark.parametrize(
    ("method", "path", "auth", "kind"),
    [
        ("POST", "/services/oauth2/token", True, "auth"),
        ("POST", "/api/v4/login", True, "auth"),
        ("GET", "query", False, "read"),
        ("POST", "jobs/query", False, "read"),  # a Bulk 2.0 query job reads
        ("DELETE", "jobs/query/750000000000001", False, "read"),
        ("POST", "composite/sobjects", False, "write"),
        ("PATCH", "sobjects/Account/001000000000001AAA", False, "write"),
        ("PUT", "/api/v4/accounts/12", False, "write"),
        ("delete", "/api/v4/accounts/12", False, "write"),
        ("POST", "jobs/ingest", False, "write"),
    ],
)
def test_calls_are_classified_as_the_contracts_count_them(
    method: str, path: str, auth: bool, kind: str
) -> None:
    assert call_kind(method, path, auth=auth) == kind


def test_a_ledger_counts_per_side_and_leaves_out_sides_that_sent_nothing() -> None:
    ledger = CallLedger()
    ledger.side("forcemanager")  # a client made, never used
    salesforce = ledger.side("salesforce")
    salesforce.sent("POST", "/services/oauth2/token", auth=True)
    salesforce.sent("GET", "queryAll")
    salesforce.retried()
    salesforce.sent("GET", "queryAll")
    salesforce.sent("PATCH", "composite/sobjects")
    assert ledger.counts() == {
        "salesforce": {"auth": 1, "read": 2, "write": 1, "retried": 1, "calls": 4}
    }


def test_counting_costs_nothing_next_to_a_request() -> None:
    """A count is a lock and an add: well under a tenth of a local HTTP request (about a
    millisecond). The best of several rounds, so that a loaded machine does not decide it."""
    counter = CallLedger().side("salesforce")
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(20_000):
            counter.sent("GET", "queryAll")
        rounds.append((time.perf_counter() - started) / 20_000)
    assert min(rounds) < 100e-6, f"{min(rounds) * 1e6:.2f} µs per count"
