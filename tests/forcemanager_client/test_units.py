"""Unit tests of the client's pure logic: rate spacing, backoff, error parsing, filters."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime

import pytest
import requests
from forcemanager_client.errors import error_from_response, is_session_expired, parse_error_body
from forcemanager_client.exceptions import (
    ForceManagerAuthError,
    ForceManagerError,
    ForceManagerRecordError,
)
from forcemanager_client.ratelimit import MAX_SAFETY_MARGIN, SAFETY_MARGIN, RateLimiter
from forcemanager_client.settings import PRIVATE_KEY_VARIABLE, private_key
from forcemanager_client.where import any_equal, changed_since, date_literal, quote


class FakeClock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()

    def time(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def _response(
    status: int, body: bytes, url: str = "http://fm/api/v4/accounts/3"
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.url = url
    response.request = requests.Request("PUT", url).prepare()
    return response


def test_rate_limiter_spaces_calls_evenly():
    """Ten calls at 4/s are spaced 0.25 s apart (plus the safety margin), the first at once."""
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock.time, sleep=clock.sleep)
    starts = []
    for _ in range(10):
        limiter.acquire()
        starts.append(clock.time())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert starts[0] == 100.0
    assert all(gap == pytest.approx(0.25 * (1 + SAFETY_MARGIN)) for gap in gaps)


def test_rate_limiter_never_exceeds_rate_across_threads():
    """Slots reserved by many threads never put more than `rate` calls in one second."""
    limiter = RateLimiter(50)
    stamps: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            limiter.acquire()
            with lock:
                stamps.append(limiter._clock())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    assert len(stamps) == 40
    # 40 calls at 50/s take at least 39 intervals.
    assert stamps[-1] - stamps[0] >= 39 / 50 * 0.95


def test_rate_limiter_pause_delays_next_slot():
    """After a pause (a 429's Retry-After), the next call waits that long."""
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock.time, sleep=clock.sleep)
    limiter.acquire()
    limiter.pause(3.0)
    assert limiter.acquire() == pytest.approx(3.0)


def test_rate_limiter_widens_its_margin_after_each_429_up_to_a_cap():
    """Every 429 spaces later calls a little wider, never beyond `MAX_SAFETY_MARGIN`."""
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock.time, sleep=clock.sleep)
    limiter.pause(0)
    limiter.acquire()
    assert limiter.acquire() == pytest.approx(0.25 * (1 + 2 * SAFETY_MARGIN))
    for _ in range(20):
        limiter.pause(0)
    limiter.acquire()
    assert limiter.acquire() == pytest.approx(0.25 * (1 + MAX_SAFETY_MARGIN))


def test_rate_limiter_disabled_never_waits():
    assert RateLimiter(0).acquire() == 0.0


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b'{"Message": "Bad Request"}', None, "Bad Request"),
        (b'{"message": "name is required", "code": 400}', "400", "name is required"),
        (b'{"code": "2", "MESSAGE": "expired"}', "2", "expired"),
        (b"<html>gateway</html>", None, "<html>gateway</html>"),
    ],
)
def test_error_body_read_case_insensitively(body, code, message):
    assert parse_error_body(_response(400, body)) == (code, message)


def test_session_expired_only_on_401_code_2():
    assert is_session_expired(_response(401, b'{"code": "2", "message": "expired"}'))
    assert not is_session_expired(_response(401, b'{"code": "1", "message": "bad keys"}'))
    assert not is_session_expired(_response(400, b'{"code": "2"}'))


def test_error_from_response_types_and_redacts():
    """A 4xx becomes a record error with status, code and message; secrets are masked."""
    error = error_from_response(
        _response(400, b'{"Message": "bad value sekret-key-123", "code": "901"}'),
        ["sekret-key-123"],
    )
    assert isinstance(error, ForceManagerRecordError)
    assert (error.status, error.code) == (400, "901")
    assert "sekret-key-123" not in str(error)
    assert "PUT /api/v4/accounts/3" in str(error)
    auth = error_from_response(_response(401, b'{"message": "wrong keys"}'))
    assert isinstance(auth, ForceManagerAuthError)


def test_where_builders_quote_and_truncate():
    assert quote("O'Brien") == "'O''Brien'"
    assert (
        date_literal(datetime(2024, 5, 6, 7, 8, 9, 999_000, tzinfo=UTC)) == "'2024-05-06 07:08:09'"
    )
    clause = changed_since(datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))
    assert clause == (
        "(dateCreated > '2024-05-06 07:08:09' OR dateUpdated > '2024-05-06 07:08:09'"
        " OR dateDeleted > '2024-05-06 07:08:09')"
    )
    assert any_equal("extId", ["a", "b"]) == "(extId = 'a' OR extId = 'b')"


def test_private_key_comes_from_the_config_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """meltano.yml maps no private key into the config: FORCEMANAGER_PRIVATE_KEY supplies it."""
    monkeypatch.setenv(PRIVATE_KEY_VARIABLE, "env-key")
    assert private_key({"public_key": "pk"}) == "env-key"
    assert private_key({"private_key": ""}) == "env-key"  # "" is an unset ${VAR}
    assert private_key({"private_key": "cfg-key"}) == "cfg-key"
    monkeypatch.setenv(PRIVATE_KEY_VARIABLE, "")
    with pytest.raises(ForceManagerError, match=PRIVATE_KEY_VARIABLE):
        private_key({"private_key": ""})
