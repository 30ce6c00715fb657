"""report.html: one self-contained file (inline CSS, inline SVG charts) rendered from a Jinja2 template."""
from __future__ import annotations

import time
from typing import Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from harness.audit.figures import Figures, Histogram, LatencySummary
from harness.audit.model import AuditResult, Verdict
from harness.errors import Exit
from harness.report import charts
from harness.report.where import cluster_lines
from harness.report.kitchen import Recovery
from harness.report.locust_csv import StatsHistory
from harness.report.model import FaultWindow, RunMeta
from harness.report.slo import SLOConfig, SLOResult, SLOStatus

LABELS = {Exit.OK: ("all hold", "pass"), Exit.INVARIANT: ("invariant failed", "fail"),
          Exit.SLO: ("SLO failed", "warn"), Exit.INCONCLUSIVE: ("inconclusive", "warn")}


def _fmt_ms(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v / 1000:.2f} s" if v >= 10_000 else f"{v:.0f} ms"


def _fmt_slo(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v:.2%}" if unit == "ratio" else _fmt_ms(v)


def render_html(meta: RunMeta, audit: AuditResult | None, figures: Figures | None, slos: Sequence[SLOResult],
                faults: Sequence[FaultWindow], history: StatsHistory | None, code: Exit,
                slo_config: SLOConfig | None = None, inconclusive: Sequence[str] = (),
                recovery: Sequence[Recovery] = ()) -> str:
    cfg = slo_config or SLOConfig()
    env = Environment(loader=PackageLoader("harness.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    label, klass = LABELS.get(code, (code.name.lower(), "warn"))
    t0 = meta.started_at
    checks = audit.checks if audit is not None else ()
    return env.get_template("report.html.j2").render(
        meta=meta, exit_code=int(code), verdict_label=label, verdict_class=klass,
        started=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(meta.started_at)),
        inconclusive=list(inconclusive), checks=checks, audit_intents=audit.intents if audit else 0,
        failed_checks=sum(c.verdict is Verdict.INVALID for c in checks),
        slos=list(slos), failed_slos=sum(s.status is SLOStatus.FAIL for s in slos),
        figures=figures, faults=list(faults), notes=list(audit.notes) if audit else [],
        full_history=bool(history and history.full_history),
        throughput_svg=charts.throughput_svg(history, faults, t0, cfg.place_request),
        latency_svg=charts.latency_svg(history, faults, t0, (("place", cfg.place_request), ("pay", cfg.pay_request))),
        kitchen_svg=charts.kitchen_svg(figures.kitchen_latency_hist, figures.kitchen_latency) if figures
        else charts.kitchen_svg(Histogram(), LatencySummary()),
        fmt_ms=_fmt_ms, fmt_slo=_fmt_slo, cluster_lines=cluster_lines, recovery=list(recovery), slo_config=cfg,
    )
