"""What one capacity search is asked to do (CapacityOptions) and what it accumulates (CapacityContext, the
session's context plus the search's steps)."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.capacity.search import Limits, Peak, SearchPlan, StepResult, demand_per_user, judge_step
from harness.capacity.under import Under
from harness.errors import UsageError
from harness.profiles import Profile
from harness.session import RunContext, make_run_dir
from harness.report.slo import SLOConfig
from scenarios.diners.kinds import default_mix


@dataclass(frozen=True)
class CapacityOptions:
    plan: SearchPlan = field(default_factory=SearchPlan)
    step_seconds: float = 25.0
    warmup_s: float | None = None       # None: a fifth of the step, at most 5 s
    slo: SLOConfig = field(default_factory=SLOConfig)
    under: Under | None = None
    slo_absolute: bool = False          # under a fault: judge latency as-is, not on top of the fault's floor
    peak: Peak | None = None
    seed: int = 7
    bugs: tuple[str, ...] = ()
    mix: str = field(default_factory=default_mix)
    out_root: Path = Path("runs")
    run_dir: Path | None = None
    target: str = "local"
    config: Path | None = None
    allow_remote: bool = False
    workers: int = 0
    stop_timeout_s: float = 15.0
    drain_deadline_s: float = 60.0
    budget_s: float = 540.0             # no new step starts after this many seconds of search
    settle_s: float = 30.0              # between steps, wait at most this long for the backlog to empty
    confirm_seconds: float = 60.0       # a confirmation of the knee holds this long (its window: after warm-up)

    def __post_init__(self) -> None:
        if not 5 <= self.step_seconds <= 600:
            raise UsageError("--step-seconds must be between 5 and 600")
        if self.warmup_s is not None and not 0 <= self.warmup_s < self.step_seconds:
            raise UsageError("--warmup must be 0 or more and shorter than --step-seconds")
        if not 5 <= self.confirm_seconds <= 1800:
            raise UsageError("--confirm-seconds must be between 5 and 1800")
        if self.confirm_seconds <= self.warmup:
            raise UsageError(f"--confirm-seconds must be longer than the warm-up ({self.warmup:.0f} s), or its "
                             f"window is empty")

    def seconds_of(self, kind: str) -> float:
        """How long a step of this kind holds its load: a confirmation longer than the ladder and the bisection."""
        return self.confirm_seconds if kind == "confirm" else self.step_seconds

    @property
    def warmup(self) -> float:
        return self.warmup_s if self.warmup_s is not None else min(5.0, self.step_seconds / 5)

    @property
    def profile(self) -> Profile:
        """A run profile view, for code shared with `dinerush run` (targets, reports)."""
        return Profile(self.name, "capacity search", schedule="none", duration_s=self.step_seconds,
                       users=self.plan.start_users, spawn_rate=self.plan.start_users,
                       drain_deadline_s=self.drain_deadline_s)

    @property
    def name(self) -> str:
        return "capacity" + (f"-under-{self.under.text.replace(':', '-').replace(',', '-').replace('=', '')}"
                             if self.under else "")

    def limits(self, floors: tuple[float, float] = (0.0, 0.0)) -> Limits:
        return Limits(self.slo.place_p95_ms, self.slo.pay_p95_ms, self.slo.max_error_rate,
                      place_floor_ms=floors[0], pay_floor_ms=floors[1])


@dataclass
class CapacityContext(RunContext):
    """The session's context (harness/session.py) plus what the search accumulates."""

    run_tag: str = field(default_factory=lambda: "c" + secrets.token_hex(3))
    raw: list[StepResult] = field(default_factory=list)      # measured, not judged
    floors: tuple[float, float] = (0.0, 0.0)
    notes: list[str] = field(default_factory=list)
    fault_detail: str = ""
    fault_window: tuple[float, float | None] | None = None    # epoch seconds
    started_wall: float = field(default_factory=time.time)

    @property
    def limits(self) -> Limits:
        return self.options.limits(self.floors)

    def judged(self) -> list[StepResult]:
        demand = demand_per_user(self.raw)
        return [judge_step(r, self.limits, demand) for r in self.raw]


def new_run_dir(options: CapacityOptions) -> Path:
    return make_run_dir(options.out_root, options.run_dir, options.name)
