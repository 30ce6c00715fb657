"""write_reports(): summary.json, junit.xml and report.html into the run folder, plus the exit code."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from harness.atomic import atomic_write
from harness.audit.figures import Figures
from harness.audit.model import AuditResult
from harness.errors import Exit
from harness.report.exitcode import exit_code
from harness.report.junit import build_junit
from harness.report.kitchen import Recovery
from harness.report.locust_csv import StatsHistory
from harness.report.model import FaultWindow, RunMeta
from harness.report.slo import SLOConfig, SLOResult
from harness.report.summary import build_summary, dumps


@dataclass(frozen=True)
class Reports:
    exit_code: Exit
    summary_json: Path
    junit_xml: Path
    report_html: Path


def write_reports(run_dir: Path, *, meta: RunMeta, audit: AuditResult | None, figures: Figures | None,
                  slos: Sequence[SLOResult] = (), faults: Sequence[FaultWindow] = (),
                  history: StatsHistory | None = None, slo_config: SLOConfig | None = None,
                  inconclusive: Sequence[str] = (), untrusted_ledger: Sequence[str] = (),
                  recovery: Sequence[Recovery] = ()) -> Reports:
    """Write the three reports; `inconclusive` lists the caller's reasons (a fault did not apply, no steady
    state...), `untrusted_ledger` why the ledger is known incomplete. Returns the paths and the run's exit code
    (see exit_code())."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    code = exit_code(audit, slos, inconclusive, untrusted_ledger)
    out = Reports(code, run_dir / "summary.json", run_dir / "junit.xml", run_dir / "report.html")
    atomic_write(out.summary_json, dumps(build_summary(meta, audit, figures, slos, faults, code, inconclusive,
                                                            recovery)) + "\n")
    tree = build_junit(meta, audit, slos, recovery)
    atomic_write(out.junit_xml, '<?xml version="1.0" encoding="utf-8"?>\n'
                  + ET.tostring(tree.getroot(), encoding="unicode") + "\n")
    from harness.report.html import render_html   # matplotlib (~0.5 s to import) only when a report is drawn
    atomic_write(out.report_html, render_html(meta, audit, figures, slos, faults, history, code, slo_config,
                                               inconclusive, recovery))
    return out
