"""The backoff both API clients share."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from crmsync_common.retry import RetryPolicy, parse_retry_after


def test_backoff_grows_exponentially_and_is_capped():
    """The delay doubles per try within jitter bounds and stops at max_delay."""
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, random=lambda: 1.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    low = RetryPolicy(base_delay=1.0, max_delay=8.0, random=lambda: 0.0)
    assert low.delay(3) == 2.0


def test_backoff_honours_retry_after():
    policy = RetryPolicy(base_delay=0.1, random=lambda: 0.5)
    assert policy.delay(1, retry_after=5.0) == 5.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-2", 0.0), (None, None), ("soon", None)],
)
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:10 GMT", now=now) == 10.0
