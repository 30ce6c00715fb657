"""Result types of the audit: a verdict per checker, with counts and example ids per system of record."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


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


@dataclass(frozen=True)
class Example:
    """One offending row or intent: `ref` is an order id, an idempotency key or a backlog name."""

    system: System
    ref: str
    why: str


@dataclass(frozen=True)
class SystemCount:
    system: System
    count: int
    examples: tuple[Example, ...] = ()


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
    def examples(self) -> tuple[Example, ...]:
        return tuple(e for s in self.systems for e in s.examples)


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
