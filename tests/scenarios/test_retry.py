"""Backoff: capped, exponential, jittered, reproducible; the retry loop stops when told and counts attempts."""
from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from scenarios.retry import RetryPolicy, backoff_delay, retry_loop


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half():
    p = RetryPolicy(max_attempts=10, base_seconds=0.1, cap_seconds=1.0)
    rng = random.Random(1)
    for retry, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0), (500, 1.0)]:
        delays = [backoff_delay(retry, p, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # jittered, not fixed


def test_backoff_is_reproducible_from_the_rng():
    p = RetryPolicy()
    assert [backoff_delay(3, p, random.Random(9)) for _ in range(3)] == \
           [backoff_delay(3, p, random.Random(9)) for _ in range(3)]


def test_backoff_rejects_retry_zero_and_bad_policies():
    with pytest.raises(ValueError):
        backoff_delay(0, RetryPolicy(), random.Random())
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_seconds=2, cap_seconds=1)


@dataclass
class V:
    retry: bool
    n: int = 0


def test_retry_loop_retries_until_a_definite_answer():
    sleeps: list[float] = []
    answers = iter([V(True), V(True), V(False)])
    v, n = retry_loop(lambda i: next(answers), RetryPolicy(max_attempts=5, base_seconds=0.1, cap_seconds=1),
                      random.Random(0), sleeps.append)
    assert (v.retry, n, len(sleeps)) == (False, 3, 2)
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2


def test_retry_loop_gives_up_after_max_attempts_with_the_last_verdict():
    sleeps: list[float] = []
    seen: list[int] = []
    v, n = retry_loop(lambda i: (seen.append(i), V(True, i))[1], RetryPolicy(max_attempts=3), random.Random(0),
                      sleeps.append)
    assert (v.n, n, seen, len(sleeps)) == (3, 3, [1, 2, 3], 2)


def test_retry_loop_single_attempt_never_sleeps():
    sleeps: list[float] = []
    _, n = retry_loop(lambda i: V(True), RetryPolicy(max_attempts=1), random.Random(0), sleeps.append)
    assert n == 1 and sleeps == []
