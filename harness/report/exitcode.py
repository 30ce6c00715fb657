"""The run's exit code from the audit, the SLOs and the caller's inconclusive flags (DESIGN: exit codes)."""
from __future__ import annotations

from typing import Sequence

from harness.audit.model import AuditResult, Verdict
from harness.errors import Exit
from harness.report.slo import SLOResult, SLOStatus


def exit_code(audit: AuditResult | None, slos: Sequence[SLOResult] = (), inconclusive: Sequence[str] = (),
              untrusted_ledger: Sequence[str] = ()) -> Exit:
    """3 if the ledger is known incomplete (`untrusted_ledger`: started != written, a worker lost or silent):
    rows that may belong to a diner whose entry was lost cannot blame the stack, so not even a violation is 1.
    Else 1 if an invariant failed (a definite violation stands even in an otherwise inconclusive run); else 3 if
    anything could not be judged (a checker or SLO unknown, no audit, or a caller's reason: a fault did not
    apply, no steady state, the evidence floor not met); else 2 if an SLO failed; else 0."""
    if untrusted_ledger:
        return Exit.INCONCLUSIVE
    if audit is not None and audit.verdict is Verdict.INVALID:
        return Exit.INVARIANT
    if audit is None or audit.verdict is Verdict.UNKNOWN or inconclusive \
            or any(s.status is SLOStatus.UNKNOWN for s in slos):
        return Exit.INCONCLUSIVE
    if any(s.status is SLOStatus.FAIL for s in slos):
        return Exit.SLO
    return Exit.OK
