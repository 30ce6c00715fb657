"""Result types of the audit: a verdict per checker, with counts and example ids per system of record."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable


class Verdict(str, Enum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"   # could not be decided (reads or ledger missing, ledger broke its contract)


class System(str, Enum):
    """The three systems of record the audit reads."""

    ORDERS = "orders"
    CHARGES = "charges"
    TICKETS = "tickets"


SYSTEMS: tuple[System, ...] = (System.ORDERS, System.CHARGES, System.TICKETS)


QUIET = "quiet"       # blamed on no fault: the intent overlapped no fault window and ended before the drain
DRAIN = "drain"       # blamed on the drain: the intent outlived the load, or the ref is a backlog name
UNTIMED = "untimed"   # the intent and its rows carry no time (hand-built histories; never in a real run)


@dataclass(frozen=True)
class Window:
    """A fault window as the audit sees it: epoch seconds (the ledger's and the databases' clock)."""

    label: str                 # e.g. "kitchen_drop kitchen_publish reset_peer 56–61 s"
    start: float
    end: float | None          # None: never healed


@dataclass(frozen=True)
class Timeline:
    """What the audit blames violations on: the run's fault windows and when the load ended (then the drain)."""

    windows: tuple[Window, ...] = ()
    load_end: float | None = None


@dataclass(frozen=True)
class Cluster:
    """How many findings of a check blamed the same windows (`where`: window labels, or quiet / drain)."""

    where: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class Example:
    """One offending row or intent: `ref` is an order id, an idempotency key or a backlog name; `windows`
    the fault windows its intent overlapped (or quiet / drain; empty when the audit had no timeline)."""

    system: System
    ref: str
    why: str
    windows: tuple[str, ...] = ()


@dataclass(frozen=True)
class SystemCount:
    system: System
    count: int
    examples: tuple[Example, ...] = ()
    clusters: tuple[Cluster, ...] = ()     # every finding counted per blamed windows, largest first
    applicable: bool = True                # False: the target has no such system of record (not applicable)


@dataclass(frozen=True)
class CheckResult:
    name: str
    verdict: Verdict
    count: int
    systems: tuple[SystemCount, ...] = ()   # one per system of record, in SYSTEMS order
    note: str = ""                          # why unknown, or what the check means

    def count_for(self, system: System) -> int:
        return sum(s.count for s in self.systems if s.system == system)

    @property
    def not_applicable(self) -> tuple[System, ...]:
        """The systems of record this check could not look at: the target does not have them."""
        return tuple(s.system for s in self.systems if not s.applicable)

    @property
    def examples(self) -> tuple[Example, ...]:
        return tuple(e for s in self.systems for e in s.examples)

    @property
    def clusters(self) -> tuple[Cluster, ...]:
        """Every finding of the check, over all systems of record, counted per blamed windows, largest first."""
        return merge_clusters(c for s in self.systems for c in s.clusters)


def merge_clusters(clusters: Iterable[Cluster]) -> tuple[Cluster, ...]:
    """Sum counts of the same `where`; largest first, then by label."""
    total: dict[tuple[str, ...], int] = {}
    for c in clusters:
        total[c.where] = total.get(c.where, 0) + c.count
    return tuple(Cluster(w, n) for w, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class AuditResult:
    checks: tuple[CheckResult, ...]
    intents: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> Verdict:
        """invalid if any checker failed, else unknown if any could not decide, else valid."""
        verdicts = {c.verdict for c in self.checks}
        if Verdict.INVALID in verdicts:
            return Verdict.INVALID
        if Verdict.UNKNOWN in verdicts or not self.checks:
            return Verdict.UNKNOWN
        return Verdict.VALID

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no checker named {name!r}")
