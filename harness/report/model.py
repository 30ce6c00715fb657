"""Inputs of the reports that are not the audit's: run metadata and fault windows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class RunMeta:
    """What the run was; passed in by the orchestration and written verbatim into summary.json."""

    run_id: str
    profile: str
    started_at: float                 # epoch seconds: t = 0 of fault windows and charts
    ended_at: float
    target: str = "local"
    seed: int | None = None
    users: int | None = None
    schedule: str | None = None
    bugs: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return max(0.0, self.ended_at - self.started_at)


@dataclass(frozen=True)
class FaultWindow:
    """One applied fault, stamped in elapsed seconds since RunMeta.started_at; end None = never healed."""

    name: str
    start_s: float
    end_s: float | None
    detail: str = ""

    def overlaps(self, a: float, b: float) -> bool:
        """Whether [a, b] touches this window."""
        end = float("inf") if self.end_s is None else self.end_s
        return a <= end and b >= self.start_s

    @staticmethod
    def from_stamps(stamps: Iterable[tuple]) -> tuple["FaultWindow", ...]:
        """From (name, start_s, end_s[, detail]) tuples, as the fault timeline stamps them."""
        return tuple(FaultWindow(str(s[0]), float(s[1]), None if s[2] is None else float(s[2]),
                                 str(s[3]) if len(s) > 3 else "") for s in stamps)
