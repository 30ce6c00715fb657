"""Load shapes: pure functions of elapsed seconds → (users, spawn_rate), or None to stop.

A service hour is time-compressed into `seconds` (a few minutes), so a CI run sees the rise,
the peak and the fall. No Locust import here (it monkey-patches on import): the adapter is
scenarios/locust_shape.py.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable

Tick = tuple[int, float] | None

# (fraction of the service, fraction of peak users): read off typical restaurant traffic curves.
LUNCH_CURVE: tuple[tuple[float, float], ...] = (   # 11:00–14:00, sharp peak 12:00–12:45
    (0.0, 0.10), (0.15, 0.25), (0.30, 0.70), (0.40, 1.00), (0.55, 1.00), (0.70, 0.55), (0.85, 0.25), (1.0, 0.10))
DINNER_CURVE: tuple[tuple[float, float], ...] = (  # 17:00–21:30, slower rise, broad peak 18:30–20:00
    (0.0, 0.10), (0.20, 0.35), (0.35, 0.80), (0.45, 1.00), (0.65, 0.95), (0.80, 0.50), (0.92, 0.25), (1.0, 0.10))


def _interpolate(curve: tuple[tuple[float, float], ...], x: float) -> float:
    xs = [p[0] for p in curve]
    i = bisect_right(xs, x)
    if i <= 0:
        return curve[0][1]
    if i >= len(curve):
        return curve[-1][1]
    (x0, y0), (x1, y1) = curve[i - 1], curve[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _ramp_rate(peak_users: int, seconds: float) -> float:
    """Fast enough to follow the steepest part of the curves (about half the peak per 10% of the service)."""
    return max(1.0, math.ceil(peak_users * 5.0 / seconds * 10) / 10)


@dataclass(frozen=True)
class Curve:
    """A service (lunch or dinner) as a curve scaled to `peak_users` over `seconds`."""

    curve: tuple[tuple[float, float], ...]
    peak_users: int = 20
    seconds: float = 180.0

    def __call__(self, t: float) -> Tick:
        if t < 0 or t >= self.seconds:
            return None
        users = max(1, round(self.peak_users * _interpolate(self.curve, t / self.seconds)))
        return users, _ramp_rate(self.peak_users, self.seconds)


@dataclass(frozen=True)
class FlashSale:
    """A quiet base, then everyone at once for `spike_seconds`, then back to base."""

    peak_users: int = 20
    seconds: float = 180.0
    base_users: int = 0            # 0: a tenth of the peak
    spike_at: float = 0.0          # 0: a third of the way in
    spike_seconds: float = 0.0     # 0: a sixth of the run

    def __call__(self, t: float) -> Tick:
        if t < 0 or t >= self.seconds:
            return None
        base = self.base_users or max(1, self.peak_users // 10)
        at = self.spike_at or self.seconds / 3
        length = self.spike_seconds or self.seconds / 6
        if at <= t < at + length:
            return self.peak_users, float(max(1, self.peak_users))  # the whole crowd within about a second
        return base, float(max(1, self.peak_users))


@dataclass(frozen=True)
class Steps:
    """Capacity search: `start_users`, plus `step_users` every `step_seconds`, up to `max_users`; then stop."""

    start_users: int = 5
    step_users: int = 5
    step_seconds: float = 20.0
    max_users: int = 50

    def __call__(self, t: float) -> Tick:
        if t < 0:
            return None
        users = self.start_users + self.step_users * int(t // self.step_seconds)
        if users > self.max_users:
            return None
        return users, float(max(1, self.step_users))

    def step_index(self, t: float) -> int:
        return int(max(0.0, t) // self.step_seconds)


@dataclass(frozen=True)
class Soak:
    """Steady load for a long time: finds leaks and slow drift, not peaks."""

    users: int = 20
    seconds: float = 180.0

    def __call__(self, t: float) -> Tick:
        if t < 0 or t >= self.seconds:
            return None
        return self.users, float(max(1, self.users))


Shape = Callable[[float], Tick]


@dataclass(frozen=True)
class ShapeParams:
    peak_users: int = 20
    seconds: float = 180.0
    start_users: int = 5
    step_users: int = 5
    step_seconds: float = 20.0


SHAPES: dict[str, Callable[[ShapeParams], Shape]] = {
    "lunch_rush": lambda p: Curve(LUNCH_CURVE, p.peak_users, p.seconds),
    "dinner_rush": lambda p: Curve(DINNER_CURVE, p.peak_users, p.seconds),
    "flash_sale": lambda p: FlashSale(p.peak_users, p.seconds),
    "steps": lambda p: Steps(p.start_users, p.step_users, p.step_seconds, p.peak_users),
    "soak": lambda p: Soak(p.peak_users, p.seconds),
}


def make_shape(name: str, params: ShapeParams) -> Shape:
    try:
        return SHAPES[name](params)
    except KeyError:
        raise ValueError(f"unknown shape {name!r}; shapes: {', '.join(SHAPES)}") from None
