"""audit(): build the Index once and run every registered checker over it."""
from __future__ import annotations

from typing import Iterable

from harness.audit.checkers import CHECKERS
from harness.audit.history import FinalReads
from harness.audit.index import AuditOptions, Index
from harness.audit.model import AuditResult, CheckResult
from scenarios.ledger import LedgerEntry, gc_paused


def audit(ledger: Iterable[LedgerEntry] | None, reads: FinalReads | None, *,
          options: AuditOptions | None = None, index: Index | None = None) -> AuditResult:
    """Run every checker in CHECKERS; `None` ledger or reads makes the verdicts unknown (inconclusive)."""
    ix = index if index is not None else Index.build(ledger, reads, options)
    with gc_paused():
        checks = tuple(check(ix) for check in CHECKERS.values())
    return AuditResult(checks=checks, intents=ix.intents, notes=tuple(ix.unknown_reasons))


def run_checker(name: str, ledger: Iterable[LedgerEntry] | None, reads: FinalReads | None, *,
                options: AuditOptions | None = None) -> CheckResult:
    """One checker as a pure function of (ledger, reads)."""
    return CHECKERS[name](Index.build(ledger, reads, options))
