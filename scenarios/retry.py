"""Capped exponential backoff with jitter, and a retry loop that reuses one idempotency key.

Small and pure on purpose: the RNG and the sleep are handed in, so a diner's retries are
reproducible and the loop is tested without sleeping (under Locust, `sleep` is gevent's).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Protocol


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4      # requests in all, the first included
    base_seconds: float = 0.25
    cap_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_seconds < 0 or self.cap_seconds < self.base_seconds:
            raise ValueError(f"bad retry policy {self}")


def backoff_delay(retry: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Pause before retry number `retry` (1 = the first retry): "equal jitter", half fixed, half random.

    The ceiling min(cap, base * 2**(retry-1)) doubles per retry up to the cap; the pause lies in
    [ceiling/2, ceiling], so retries of many diners spread out but none hammers at once.
    """
    if retry < 1:
        raise ValueError("retry numbers start at 1")
    ceiling = min(policy.cap_seconds, policy.base_seconds * (2 ** min(retry - 1, 30)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Retryable(Protocol):
    retry: bool


def retry_loop(attempt: Callable[[int], Retryable], policy: RetryPolicy, rng: random.Random,
               sleep: Callable[[float], object]) -> tuple[Retryable, int]:
    """Call `attempt(n)` (n = 1, 2, ...) until its reading says no retry or attempts run out.

    Returns the last reading and the number of attempts made.
    """
    n = 1
    while True:
        reading = attempt(n)
        if not reading.retry or n >= policy.max_attempts:
            return reading, n
        sleep(backoff_delay(n, policy, rng))
        n += 1
