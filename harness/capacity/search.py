"""The capacity search as pure functions of step results: judge a step, choose the next load, conclude.

Diners are a closed loop (each waits for its answer, then thinks), so the load offered at a step is
`users × the per-diner order rate measured at the first, lightest step`: what the diners would bring if the
stack kept up. A step fails when a p95 is over its SLO, the error rate is over its SLO, or the served rate
falls behind the offered rate; it fails *clearly* when it misses by a margin. The ladder grows geometrically
(×2 by default, at least `step_users` more) so the defaults reach a knee far above the first step; it stops at a
clear failure (a marginal one gets one more step to confirm it). A bisection then narrows the gap between the
highest passing load and the lowest failing one above it until the knee is located within ±10% (the midpoint
of the gap is within 10% of both ends) or its rounds run out. The knee is then confirmed: measured again, for
longer, at the same load. A confirmation stands for its load in place of the shorter steps there (a failed one
makes that load a failure and the next passing load below is confirmed instead), because a short window is at the
mercy of the machine's own speed, which on a shared VM moved by a fifth between 20 s windows and by about half
that between 60 s ones (bench/machine_speed.py). The knee is the passing confirmation, else the passing step with the highest served rate.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Sequence

from harness.errors import UsageError


@dataclass(frozen=True)
class Limits:
    """What a step must meet. Floors are added to the latency limits (a weak network's own round trip)."""

    place_p95_ms: float = 1000.0
    pay_p95_ms: float = 2000.0
    max_error_rate: float = 0.01
    place_floor_ms: float = 0.0
    pay_floor_ms: float = 0.0
    clear_latency_ratio: float = 1.5     # p95 over limit × this: a clear failure
    clear_error_rate: float = 0.05       # error rate over max(this, 2 × limit): a clear failure
    behind_ratio: float = 0.6            # served below this share of offered: failure, and a clear one

    @property
    def place_limit_ms(self) -> float:
        return self.place_p95_ms + self.place_floor_ms

    @property
    def pay_limit_ms(self) -> float:
        return self.pay_p95_ms + self.pay_floor_ms


@dataclass(frozen=True)
class Resources:
    """What the stack's processes did during a step's measured window (None: not visible)."""

    cpu_pct: dict[str, float] = field(default_factory=dict)   # process group → % of one core
    cores: int = 1
    machine_busy_pct: float | None = None  # all cores, whoever used them (other work on the machine too)
    outbox_unsent: int | None = None       # at the end of the step
    queue_messages: int | None = None
    payments_pending: int | None = None
    db_active: float | None = None         # mean active client backends
    db_waiting: float | None = None        # mean of those waiting on a lock, LWLock, I/O or IPC


@dataclass(frozen=True)
class StepResult:
    """One step of load: what was offered and served, the latencies, and the verdict with its reasons."""

    index: int
    users: int
    kind: str = "step"                     # "step" (the ladder), "bisect" or "confirm" (the knee, measured longer)
    window_s: float = 0.0                  # length of the measured window (after warm-up)
    attempted_ops: float = 0.0             # intents begun per second (orders the diners tried)
    served_ops: float = 0.0                # orders acknowledged per second
    p95_place_ms: float | None = None
    p95_pay_ms: float | None = None
    p50_place_ms: float | None = None
    p50_pay_ms: float | None = None
    error_rate: float | None = None
    requests: int = 0
    offered_ops: float | None = None       # users × per-diner demand (set by judge_step)
    passed: bool | None = None             # None: not judged yet
    clear: bool = False                    # failed by a margin
    why: tuple[str, ...] = ()
    resources: Resources | None = None
    speed: float | None = None             # the machine's speed over the window (capacity/speed.py), units per CPU ms


def judge_step(step: StepResult, limits: Limits, demand_per_user: float | None) -> StepResult:
    """The step with its verdict: passed, clear (a clear failure) and why."""
    why: list[str] = []
    clear = False
    for label, p95, limit in (("place", step.p95_place_ms, limits.place_limit_ms),
                              ("pay", step.p95_pay_ms, limits.pay_limit_ms)):
        if p95 is None:
            why.append(f"no {label} request finished")
            clear = True
        elif p95 > limit:
            why.append(f"p95 {label} {p95:.0f} ms > {limit:.0f} ms")
            clear = clear or p95 > limit * limits.clear_latency_ratio
    if step.error_rate is None:
        why.append("no requests measured")
        clear = True
    elif step.error_rate > limits.max_error_rate:
        why.append(f"errors {step.error_rate:.1%} > {limits.max_error_rate:.1%}")
        clear = clear or step.error_rate > max(limits.clear_error_rate, 2 * limits.max_error_rate)
    offered = step.users * demand_per_user if demand_per_user else None
    if offered and step.served_ops < limits.behind_ratio * offered:
        why.append(f"served {step.served_ops:.1f}/s < {limits.behind_ratio:.0%} of offered {offered:.1f}/s")
        clear = True
    return replace(step, offered_ops=offered, passed=not why, clear=bool(why) and clear, why=tuple(why))


def demand_per_user(results: Sequence[StepResult]) -> float | None:
    """Orders per second one diner brings when the stack keeps up: measured at the lightest step."""
    if not results:
        return None
    first = min(results, key=lambda r: (r.users, r.index))
    return first.attempted_ops / first.users if first.users and first.attempted_ops > 0 else None


@dataclass(frozen=True)
class SearchPlan:
    start_users: int = 10
    step_users: int = 10                # the least a ladder step adds (a step is also ≥ growth × the last)
    max_steps: int = 10                 # steps of the ladder
    bisect_rounds: int = 4              # at most this many steps between the highest pass and the lowest fail
    min_gap_users: int = 0              # also located when the gap is this small (0: 1 diner)
    growth: float = 2.0                 # each ladder step has at least this many times the diners of the last
    tolerance: float = 0.1              # the knee is located when the gap's midpoint is within this of its ends
    confirm_rounds: int = 2             # at most this many confirmations (a failed one moves the knee down)

    def __post_init__(self) -> None:
        for name in ("start_users", "step_users", "max_steps"):
            if getattr(self, name) < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be 1 or more")
        for name in ("bisect_rounds", "confirm_rounds"):
            if getattr(self, name) < 0:
                raise UsageError(f"--{name.replace('_', '-')} must be 0 or more")
        if not (self.growth >= 1.0 and 0.0 < self.tolerance < 1.0):
            raise UsageError("the ladder's growth must be 1 or more and the tolerance between 0 and 1")

    def ladder_users(self, rung: int) -> int:
        """Diners of the ladder's `rung`-th step (0-based): from start_users, ×growth, at least +step_users."""
        users = self.start_users
        for _ in range(rung):
            users = max(users + self.step_users, math.ceil(users * self.growth - 1e-9))
        return users

    def located(self, lo: int, hi: int) -> bool:
        """Whether a knee between `lo` passing and `hi` failing diners is known closely enough."""
        return hi - lo <= max(1, self.min_gap_users) or hi - lo <= self.tolerance * (hi + lo)


@dataclass(frozen=True)
class Next:
    users: int
    kind: str            # "step" | "bisect" | "confirm"


def _ladder_done(plan: SearchPlan, ladder: Sequence[StepResult]) -> bool:
    if len(ladder) >= plan.max_steps:
        return True
    if ladder and ladder[-1].passed is False and ladder[-1].clear:
        return True
    return len(ladder) >= 2 and ladder[-1].passed is False and ladder[-2].passed is False


def standing(results: Sequence[StepResult]) -> list[StepResult]:
    """The results the verdict rests on: at a load that was confirmed, the latest confirmation stands alone."""
    confirmed: dict[int, StepResult] = {}
    for r in results:
        if r.kind == "confirm" and (r.users not in confirmed or r.index > confirmed[r.users].index):
            confirmed[r.users] = r
    return [r for r in results if confirmed.get(r.users, r) is r]


def bounds(results: Sequence[StepResult]) -> tuple[int | None, int | None]:
    """(highest passing users, lowest failing users above it); either None when there is none."""
    results = standing(results)
    passed = [r.users for r in results if r.passed]
    failed = [r.users for r in results if r.passed is False]
    lo = max(passed, default=None)
    hi = min((u for u in failed if lo is None or u > lo), default=None)
    return lo, hi


def next_step(plan: SearchPlan, results: Sequence[StepResult]) -> Next | None:
    """The load of the next step, or None when the search is over (the caller also stops at its time budget)."""
    ladder = [r for r in results if r.kind == "step"]
    if not _ladder_done(plan, ladder):
        return Next(plan.ladder_users(len(ladder)), "step")
    confirms = [r for r in results if r.kind == "confirm"]
    if confirms and confirms[-1].passed:
        return None
    # a failed confirmation moved the knee down: the gap below it gets a bisection of its own
    since = confirms[-1].index if confirms else 0
    lo, hi = bounds(results)
    rounds = sum(r.kind == "bisect" and r.index > since for r in results)
    if not (lo is None or hi is None or rounds >= plan.bisect_rounds or plan.located(lo, hi)):
        mid = (lo + hi) // 2
        if not any(r.users == mid for r in results):
            return Next(mid, "bisect")
    if len(confirms) >= plan.confirm_rounds:
        return None
    knee = conclude(results).knee
    if knee is None or knee.kind == "confirm":
        return None
    return Next(knee.users, "confirm")


class OutcomeKind(str, Enum):
    KNEE = "knee"                   # the SLO held up to a load and broke above it
    NEVER_FAILED = "never_failed"   # held at every load tried: capacity is at least the top
    NONE_PASSED = "none_passed"     # broke even at the lightest load


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    knee: StepResult | None          # the passing step with the highest served rate
    first_fail: StepResult | None    # the lowest failing step above the highest pass
    demand_per_user: float | None

    @property
    def capacity_ops(self) -> float | None:
        return self.knee.served_ops if self.knee else None

    def sentence(self) -> str:
        if self.kind is OutcomeKind.NONE_PASSED:
            f = self.first_fail
            return (f"none passed: the SLO broke already at {f.users} diners ({'; '.join(f.why)}); "
                    f"lower --start-users" if f else "none passed")
        k = self.knee
        assert k is not None
        if self.kind is OutcomeKind.NEVER_FAILED:
            return (f"never failed: capacity ≥ {k.served_ops:.1f} orders/s (the SLO held up to {k.users} diners, "
                    f"the most tried); raise --step-users or --max-steps to find the knee")
        f = self.first_fail
        assert f is not None
        held = f" (held {k.window_s:.0f} s to confirm)" if k.kind == "confirm" else ""
        return (f"capacity {k.served_ops:.1f} orders/s at {k.users} diners{held}; at {f.users} diners the SLO broke: "
                f"{'; '.join(f.why)}")


def conclude(results: Sequence[StepResult]) -> Outcome:
    """The knee (a passing confirmation first, then the highest served rate), the first failure above it."""
    demand = demand_per_user(results)
    results = standing(results)
    lo, hi = bounds(results)
    first_fail = None
    if hi is not None:
        first_fail = min((r for r in results if r.passed is False and r.users == hi), key=lambda r: r.index)
    passing = [r for r in results if r.passed]
    if not passing:
        fails = sorted((r for r in results if r.passed is False), key=lambda r: (r.users, r.index))
        return Outcome(OutcomeKind.NONE_PASSED, None, fails[0] if fails else None, demand)
    knee = max(passing, key=lambda r: (r.kind == "confirm", r.served_ops, -r.users))
    kind = OutcomeKind.KNEE if hi is not None else OutcomeKind.NEVER_FAILED
    return Outcome(kind, knee, first_fail, demand)


# ---- the expected peak and the headroom over it ---------------------------------------------------------

@dataclass(frozen=True)
class Peak:
    """The expected peak: an order rate, or diners (turned into a rate with the measured per-diner demand)."""

    orders_per_s: float | None = None
    diners: int | None = None
    text: str = ""

    def rate(self, per_user: float | None) -> float | None:
        if self.orders_per_s is not None:
            return self.orders_per_s
        return self.diners * per_user if self.diners is not None and per_user else None


_PEAK = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(/\s*min|/\s*m|/\s*s|/\s*h|opm|diners?|d)?\s*$", re.I)


def parse_peak(text: str) -> Peak:
    """`1200` or `1200/min` (orders per minute), `20/s`, `3000/h`, `150 diners`."""
    m = _PEAK.match(text or "")
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"--peak {text!r}: give orders per minute (1200 or 1200/min), per second (20/s), "
                         f"per hour (3000/h) or diners (150diners), a positive number")
    n, unit = float(m.group(1)), (m.group(2) or "/min").replace(" ", "").lower()
    if unit.startswith("d"):
        return Peak(diners=int(round(n)), text=text.strip())
    per = {"/s": 1.0, "/min": 60.0, "/m": 60.0, "opm": 60.0, "/h": 3600.0}[unit]
    return Peak(orders_per_s=n / per, text=text.strip())


@dataclass(frozen=True)
class Headroom:
    ratio: float | None              # capacity / peak; None when there is no capacity or no peak rate
    peak_ops: float | None
    sentence: str
    enough: bool                     # capacity (or its lower bound) covers the peak


def _ops(v: float) -> str:
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def headroom(outcome: Outcome, peak: Peak) -> Headroom:
    """The capacity over the expected peak, as a ratio and a plain sentence."""
    rate = peak.rate(outcome.demand_per_user)
    what = f"{_ops(rate)} orders/s" if rate is not None else "?"
    if peak.diners is not None and rate is not None:
        what += f" ({peak.diners} diners)"
    elif rate is not None:
        what += f" ({rate * 60:.0f} orders/min)"
    if rate is None:
        return Headroom(None, None, f"cannot turn {peak.diners} diners into an order rate: no step measured "
                                    f"the per-diner demand", False)
    cap = outcome.capacity_ops
    if cap is None:
        return Headroom(0.0, rate, f"no load met the SLO, so there is no headroom over your expected peak of {what}",
                        False)
    ratio = cap / rate
    at_least = "≥ " if outcome.kind is OutcomeKind.NEVER_FAILED else ""
    if ratio >= 1:
        s = f"capacity {at_least}{_ops(cap)} orders/s is {at_least}{ratio:.1f}× your expected peak of {what}"
    elif outcome.kind is OutcomeKind.NEVER_FAILED:
        s = (f"capacity ≥ {_ops(cap)} orders/s was shown, below your expected peak of {what}: "
             f"search higher (--step-users, --max-steps) to know if the peak fits")
    else:
        s = (f"capacity {_ops(cap)} orders/s is only {ratio:.2f}× your expected peak of {what}: "
             f"{_ops(rate - cap)} orders/s short")
    return Headroom(round(ratio, 3) if math.isfinite(ratio) else None, rate, s, ratio >= 1)
