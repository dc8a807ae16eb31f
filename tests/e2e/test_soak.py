"""A short seeded slice of the convergence soak (benchmarks/soak.py; `make soak` runs the long
one): random edits on both CRMs, a cycle with transient failures and expired sessions, cycles
killed mid-step and forced again, and every invariant checked through both APIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.soak import SoakOptions, run_soak


@pytest.mark.slow
def test_seeded_soak_slice_converges_through_faults_and_kills(tmp_path: Path) -> None:
    options = SoakOptions(seed=7, rounds=2, operations=12, kill_share=1.0, fault_share=1.0)
    result = run_soak(tmp_path / "soak", options)
    report = "\n".join(["broken:", *result.failures, "operations:", *result.log])
    assert result.ok, report
    assert result.operations == 24, report
    assert result.kills >= 1, report
    assert result.faulty_cycles == 2
    assert (result.duplicates, result.lost_edits, result.settle_writes) == (0, 0, 0)


@pytest.mark.slow
def test_seeded_soak_slice_from_a_matched_first_sync_converges(tmp_path: Path) -> None:
    """The first sync matches both CRMs' demo data (`initial_sync: match`) instead of wiping
    ForceManager's: a round of edits, a faulty cycle killed mid-step and the settling cycles
    after it keep every invariant too."""
    options = SoakOptions(
        seed=7, rounds=1, operations=12, kill_share=1.0, fault_share=1.0, initial_sync="match"
    )
    result = run_soak(tmp_path / "soak", options)
    report = "\n".join(["broken:", *result.failures, "operations:", *result.log])
    assert result.ok, report
    assert result.operations == 12, report
    assert result.kills >= 1, report
    assert result.faulty_cycles == 1
    assert (result.duplicates, result.lost_edits, result.settle_writes) == (0, 0, 0)
