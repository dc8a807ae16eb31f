"""Alerts: one Slack-compatible message per change of a tenant's health, and one on recovery.

A tenant's health after each finished cycle (or initial sync) is `failed` (the run failed),
`failed-records` (it ran, but more records failed than `CRMSYNC_ALERT_FAILED_RECORDS`) or
`healthy`. A message goes to the tenant's `CRMSYNC_ALERT_WEBHOOK_URL` when the health changes:
a failure after health, a different problem, or `healthy` after a problem (the recovery). The
last health sent is kept in the sensor's cursor, so a repeated failure sends nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import requests
from crmsync_common.redact import redact

HEALTHY = "healthy"
FAILED = "failed"
FAILED_RECORDS = "failed-records"
WEBHOOK_VARIABLE = "CRMSYNC_ALERT_WEBHOOK_URL"
THRESHOLD_VARIABLE = "CRMSYNC_ALERT_FAILED_RECORDS"
POST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Outcome:
    """A finished run of a tenant, as the alert sensor sees it."""

    tenant: str
    run_id: str
    job: str
    health: str
    detail: str


def health_of(run_failed: bool, failed_records: int, threshold: int) -> str:
    if run_failed:
        return FAILED
    return FAILED_RECORDS if failed_records > threshold else HEALTHY


def message(outcome: Outcome, previous: str | None) -> dict[str, str] | None:
    """The message for `outcome` given the last health sent, or None when nothing changed.

    A first run that is healthy sends nothing; a first run that is not sends its alert.
    """
    if outcome.health == (previous or HEALTHY):
        return None
    if outcome.health == HEALTHY:
        text = (
            f":white_check_mark: crmsync tenant `{outcome.tenant}` recovered: "
            f"{outcome.job} succeeded (run {outcome.run_id}) after {previous}."
        )
    elif outcome.health == FAILED:
        text = (
            f":rotating_light: crmsync tenant `{outcome.tenant}`: {outcome.job} failed "
            f"(run {outcome.run_id}): {outcome.detail}"
        )
    else:
        text = (
            f":warning: crmsync tenant `{outcome.tenant}`: {outcome.job} finished with failed "
            f"records (run {outcome.run_id}): {outcome.detail}"
        )
    return {"text": text}


def post(url: str, payload: dict[str, str], secrets: list[str]) -> None:
    """POST the payload as JSON; a webhook that refuses it raises with a one-line reason."""
    response = requests.post(
        url,
        data=json.dumps(payload),
        headers={"Content-Type": "application/json"},
        timeout=POST_TIMEOUT_S,
    )
    if response.status_code >= 400:
        raise RuntimeError(
            redact(f"the alert webhook answered {response.status_code}", [url, *secrets])
        )


def decide(
    outcomes: list[Outcome],
    sent: dict[str, str],
    send: Callable[[str, dict[str, str]], None],
) -> dict[str, str]:
    """Send what `outcomes` (oldest first) call for; return the updated health per tenant."""
    sent = dict(sent)
    for outcome in outcomes:
        payload = message(outcome, sent.get(outcome.tenant))
        if payload is not None:
            send(outcome.tenant, payload)
        sent[outcome.tenant] = outcome.health
    return sent
