"""Reports of a run: summary.json, junit.xml, report.html (self-contained), SLOs and the exit code.

Entry points: evaluate_slos(SLOConfig, history, faults, started_at), exit_code(audit, slos, inconclusive),
write_reports(run_dir, meta=..., audit=..., figures=..., slos=..., faults=..., history=...).
"""
from harness.report.exitcode import exit_code
from harness.report.locust_csv import StatsHistory, find_stats_history, parse_stats_history, read_stats_history
from harness.report.model import FaultWindow, RunMeta
from harness.report.slo import SLO, Metric, SLOConfig, SLOResult, SLOStatus, evaluate_slos
from harness.report.writer import Reports, write_reports

__all__ = ["SLO", "FaultWindow", "Metric", "Reports", "RunMeta", "SLOConfig", "SLOResult", "SLOStatus",
           "StatsHistory", "evaluate_slos", "exit_code", "find_stats_history", "parse_stats_history",
           "read_stats_history", "write_reports"]
