"""A fault timeline: entries (apply at `at`, heal at `at + for`) and the schedule that holds them.

Shared by the TOML loader (faults.schedule) and the random nemesis (faults.nemesis)."""
from __future__ import annotations

from dataclasses import dataclass

from faults.catalog.base import Fault
from faults.registry import FAULTS


@dataclass(frozen=True)
class Entry:
    """One scheduled fault: apply at `at`, heal at `at + for_s`."""

    index: int           # 0-based position in the schedule
    at: float
    for_s: float
    use: str
    params: object       # the fault's typed Params dataclass
    line: int = 0        # line of its [[fault]] header (0 when generated)

    @property
    def end(self) -> float:
        return self.at + self.for_s

    @property
    def fault(self) -> Fault:
        return FAULTS[self.use]

    def label(self) -> str:
        return f"#{self.index + 1} {self.use} {self.fault.plan(self.params).summary()}"


@dataclass(frozen=True)
class Schedule:
    name: str
    entries: tuple[Entry, ...]
    duration: float | None = None
    description: str = ""
    source: str = ""     # file path, or "builtin:<name>"
    seed: int | None = None

    @property
    def total(self) -> float:
        """Seconds of load this schedule needs: its duration, else the end of its last fault."""
        ends = [e.end for e in self.entries]
        return self.duration if self.duration is not None else max(ends, default=0.0)

    @property
    def links(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(link for e in self.entries for link in e.fault.plan(e.params).links))


def overlaps(a_at: float, a_end: float, b_at: float, b_end: float, margin: float = 0.0) -> bool:
    """True when [a_at, a_end) and [b_at, b_end) share time, or come closer than `margin` seconds."""
    return a_at < b_end + margin and b_at < a_end + margin
