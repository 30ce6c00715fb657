"""The audit: pure checkers over (ledger, final reads) proving nothing promised was lost or done twice.

Entry points: audit(ledger, reads) -> AuditResult, figures(ledger, reads) -> Figures; build an Index once
(Index.build) and pass `index=` to both to share it.
"""
from harness.audit.checkers import CHECKERS
from harness.audit.engine import audit, run_checker
from harness.audit.figures import Figures, Histogram, LatencySummary, OutcomeCounts, figures
from harness.audit.index import AuditOptions, Index
from harness.audit.model import SYSTEMS, AuditResult, CheckResult, Example, System, SystemCount, Verdict

__all__ = ["CHECKERS", "SYSTEMS", "AuditOptions", "AuditResult", "CheckResult", "Example", "Figures", "Histogram",
           "Index", "LatencySummary", "OutcomeCounts", "System", "SystemCount", "Verdict", "audit", "figures",
           "run_checker"]
