"""Two load generators compared over interleaved short windows, so a drift of the machine's speed cancels.

Pure parts only (no processes): the A B B A … schedule, a window from two in-process samples, the
per-pair ratios and a round's summary. bench/common.py's `LocustSide` takes the samples.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """What a Locust process says of itself at one instant (taken inside it, on request)."""

    t: float         # time.monotonic()
    cpu: float       # time.process_time(): user + system CPU seconds of the process (ns clock, not 10 ms ticks)
    requests: int    # Locust's completed requests so far (stats.total)
    failures: int


@dataclass(frozen=True)
class Window:
    """One side's work between two of its samples, taken while it alone of the two was running."""

    side: str
    start: Sample
    end: Sample

    @property
    def wall(self) -> float:
        return self.end.t - self.start.t

    @property
    def cpu(self) -> float:
        return self.end.cpu - self.start.cpu

    @property
    def requests(self) -> int:
        return self.end.requests - self.start.requests

    @property
    def failures(self) -> int:
        return self.end.failures - self.start.failures

    @property
    def cpu_per_request(self) -> float:
        if self.requests <= 0 or self.cpu <= 0:
            raise ValueError(f"{self.side}: a window with {self.requests} requests and {self.cpu:.3f} CPU s "
                             f"has no CPU per request; lengthen --slice or see the side's log")
        return self.cpu / self.requests


def schedule(pairs: int, a: str, b: str) -> list[str]:
    """A B B A A B …: each pair runs both sides once, and which goes first alternates, so neither side is
    always the one right after a switch or always the later of the two."""
    if pairs < 1:
        raise ValueError("at least one pair")
    return [s for k in range(pairs) for s in ((a, b) if k % 2 == 0 else (b, a))]


def pair_ratios(windows: list[Window], num: str, den: str) -> list[float]:
    """For each consecutive pair of windows (one per side): num's CPU per request / den's CPU per request."""
    if len(windows) % 2:
        raise ValueError(f"{len(windows)} windows do not make pairs")
    out = []
    for first, second in zip(windows[::2], windows[1::2]):
        by_side = {first.side: first, second.side: second}
        if set(by_side) != {num, den}:
            raise ValueError(f"a pair must hold one {num} and one {den} window, not {first.side}, {second.side}")
        out.append(by_side[num].cpu_per_request / by_side[den].cpu_per_request)
    return out


@dataclass(frozen=True)
class Pooled:
    """One side's windows of a round added up."""

    side: str
    windows: int
    wall: float
    cpu: float
    requests: int
    failures: int

    @property
    def us_per_request(self) -> float:
        return 1e6 * self.cpu / self.requests if self.requests else float("nan")


def pooled(windows: list[Window], side: str) -> Pooled:
    mine = [w for w in windows if w.side == side]
    return Pooled(side, len(mine), sum(w.wall for w in mine), sum(w.cpu for w in mine),
                  sum(w.requests for w in mine), sum(w.failures for w in mine))


@dataclass(frozen=True)
class RoundResult:
    """A round: the median of its per-pair ratios is the figure; the pooled sides and the ratios' range explain it."""

    num: Pooled
    den: Pooled
    ratios: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def overhead(self) -> float:
        """num's CPU per request over den's − 1, as the median of the pairs."""
        return self.median - 1

    @property
    def pooled_overhead(self) -> float:
        return self.num.us_per_request / self.den.us_per_request - 1


def summarize(windows: list[Window], num: str, den: str) -> RoundResult:
    return RoundResult(pooled(windows, num), pooled(windows, den), tuple(pair_ratios(windows, num, den)))


def spread(values: list[float]) -> float:
    """max − min (0 for a single value)."""
    return max(values) - min(values) if values else 0.0
