"""The capacity report in the run folder: capacity.html (self-contained: inline CSS and SVG), summary.json and
junit.xml. Reuses harness.report: its SVG helpers, summary builder, JUnit invariant cases and exit code.

JUnit: the invariants (as for `run`), a `dinerush.capacity` suite gating the outcome (a load met the SLO; the
capacity covers --peak), and `dinerush.capacity.steps` with one case per step SLO: a step that broke the SLO
is reported as skipped with its reasons (finding where the SLO breaks is the search's job, not a failure).
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from harness.audit.model import AuditResult, Verdict
from harness.capacity.resources import Limiter, limiting
from harness.capacity.search import Headroom, Outcome, OutcomeKind, StepResult, headroom, standing
from harness.capacity.speed import REFERENCE_SPEED, summarize
from harness.errors import Exit
from harness.report.charts import COLORS, INK, MUTED, axes, no_data, svg
from harness.report.exitcode import exit_code
from harness.report.junit import build_junit
from harness.report.model import FaultWindow, RunMeta
from harness.report.slo import SLOResult, SLOStatus
from harness.report.summary import build_summary, dumps, jsonable
from harness.atomic import atomic_write

PASS_C, FAIL_C, KNEE_C = "#0f9d58", "#d93025", "#f0b429"


@dataclass(frozen=True)
class CapacityReports:
    exit_code: Exit
    html: Path
    summary_json: Path
    junit_xml: Path
    lines: tuple[str, ...]          # what the terminal shows at the end
    limiter: Limiter
    headroom: Headroom | None


def gates(outcome: Outcome, hr: Headroom | None, searched: bool) -> tuple[SLOResult, ...]:
    """The outcome as SLO results, so harness.report's exit code applies: none passed or short of peak → 2."""
    cap = outcome.capacity_ops
    if not searched:
        out = [SLOResult("capacity", SLOStatus.UNKNOWN, None, 0.0, "orders/s", "place", "no step ran")]
    else:
        out = [SLOResult("capacity", SLOStatus.FAIL if outcome.kind is OutcomeKind.NONE_PASSED else SLOStatus.PASS,
                         None if cap is None else round(cap, 3), 0.0, "orders/s", "place", outcome.sentence())]
    if hr is not None:
        status = SLOStatus.UNKNOWN if hr.peak_ops is None else SLOStatus.PASS if hr.enough else SLOStatus.FAIL
        out.append(SLOResult("headroom over peak", status, hr.ratio, 1.0, "ratio", "place", hr.sentence))
    return tuple(out)


# ---- charts ------------------------------------------------------------------------------------------------

def _marks(ax, xs, ys, results: Sequence[StepResult]) -> None:
    for x, y, r in zip(xs, ys, results):
        if y is None:
            continue
        ax.plot([x], [y], marker="o" if r.passed else "x", ms=6, color=PASS_C if r.passed else FAIL_C,
                linestyle="none", zorder=3)


def rate_svg(results: Sequence[StepResult], outcome: Outcome) -> str:
    """Offered and served orders/s against diners; each step passed (●) or failed (×); the knee marked."""
    if not results:
        return no_data("no step ran")
    rs = sorted(standing(results), key=lambda r: r.users)   # a confirmed load: its confirmation
    fig, ax = axes(3.0)
    xs = [r.users for r in rs]
    if any(r.offered_ops for r in rs):
        ax.plot(xs, [r.offered_ops or 0 for r in rs], color=MUTED, lw=1.2, ls="--", label="offered orders/s")
    ax.plot(xs, [r.attempted_ops for r in rs], color=COLORS[3], lw=1, ls=":", label="attempted orders/s")
    ax.plot(xs, [r.served_ops for r in rs], color=COLORS[0], lw=1.8, label="served orders/s")
    _marks(ax, xs, [r.served_ops for r in rs], rs)
    if outcome.knee is not None:
        k = outcome.knee
        ax.axvline(k.users, color=KNEE_C, lw=1.2)
        ax.annotate(f"knee {k.served_ops:.1f}/s @ {k.users} diners", (k.users, k.served_ops), xytext=(6, 8),
                    textcoords="offset points", fontsize=8, color=INK)
    ax.set_xlabel("diners", fontsize=8, color=MUTED)
    ax.set_ylabel("orders/s", fontsize=8, color=MUTED)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return svg(fig, "capacity-rate")


def latency_svg(results: Sequence[StepResult], outcome: Outcome, place_limit: float, pay_limit: float) -> str:
    """p95 place and pay latency against the served rate (joined in order of load), SLO limits, the knee."""
    rs = sorted((r for r in standing(results) if r.p95_place_ms is not None or r.p95_pay_ms is not None),
                key=lambda r: r.users)
    if not rs:
        return no_data("no latency measured")
    fig, ax = axes(3.0)
    xs = [r.served_ops for r in rs]
    for label, attr, limit, color in (("place", "p95_place_ms", place_limit, COLORS[0]),
                                      ("pay", "p95_pay_ms", pay_limit, COLORS[1])):
        ys = [getattr(r, attr) for r in rs]
        ax.plot([x for x, y in zip(xs, ys) if y is not None], [y for y in ys if y is not None], color=color, lw=1.6,
                label=f"p95 {label}")
        _marks(ax, xs, ys, rs)
        ax.axhline(limit, color=color, lw=0.9, ls="--", alpha=0.8)
        ax.text(1.0, limit, f" SLO {label} {limit:.0f} ms", transform=ax.get_yaxis_transform(), fontsize=7,
                color=color, va="center")
    if outcome.knee is not None:
        ax.axvline(outcome.knee.served_ops, color=KNEE_C, lw=1.2, label="knee")
    ax.set_xlabel("served orders/s", fontsize=8, color=MUTED)
    ax.set_ylabel("ms", fontsize=8, color=MUTED)
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return svg(fig, "capacity-latency")


# ---- JUnit -------------------------------------------------------------------------------------------------

def _suite(root: ET.Element, name: str, started: float) -> ET.Element:
    return ET.SubElement(root, "testsuite", name=name, timestamp=str(int(started)))


def _close(suite: ET.Element, tests: int, failures: int, errors: int, skipped: int) -> None:
    for k, v in (("tests", tests), ("failures", failures), ("errors", errors), ("skipped", skipped)):
        suite.set(k, str(v))


def build_capacity_junit(meta: RunMeta, audit: AuditResult | None, gate: Sequence[SLOResult],
                         results: Sequence[StepResult]) -> ET.ElementTree:
    tree = build_junit(meta, audit, ())
    root = tree.getroot()
    for s in list(root):
        if s.get("name") == "dinerush.slo":
            root.remove(s)
    suite = _suite(root, "dinerush.capacity", meta.started_at)
    f = e = 0
    for g in gate:
        case = ET.SubElement(suite, "testcase", classname="dinerush.capacity", name=g.name, time="0")
        if g.status is SLOStatus.FAIL:
            ET.SubElement(case, "failure", message=g.detail, type="capacity")
            f += 1
        elif g.status is SLOStatus.UNKNOWN:
            ET.SubElement(case, "error", message=g.detail, type="inconclusive")
            e += 1
        else:
            ET.SubElement(case, "system-out").text = g.detail
    _close(suite, len(gate), f, e, 0)
    steps = _suite(root, "dinerush.capacity.steps", meta.started_at)
    skipped = 0
    for r in results:
        case = ET.SubElement(steps, "testcase", classname="dinerush.capacity.steps",
                             name=f"step {r.index:02d}: {r.users} diners SLO", time=f"{r.window_s:.1f}")
        line = (f"served {r.served_ops:.2f} orders/s, offered {r.offered_ops or 0:.2f}, p95 place "
                f"{r.p95_place_ms} ms, p95 pay {r.p95_pay_ms} ms, errors {r.error_rate}")
        if r.passed:
            ET.SubElement(case, "system-out").text = line
        else:
            ET.SubElement(case, "skipped", message="SLO broken at this load: " + "; ".join(r.why)).text = line
            skipped += 1
    _close(steps, len(results), 0, 0, skipped)
    tests = sum(int(s.get("tests", 0)) for s in root)
    root.set("tests", str(tests))
    root.set("failures", str(sum(int(s.get("failures", 0)) for s in root)))
    root.set("errors", str(sum(int(s.get("errors", 0)) for s in root)))
    ET.indent(root)
    return tree


# ---- all of it ---------------------------------------------------------------------------------------------

def _fmt_ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f} ms"


def write_capacity_reports(ctx, results: Sequence[StepResult], outcome: Outcome, audit_result: AuditResult | None,
                           inconclusive: Sequence[str], untrusted_ledger: Sequence[str] = ()) -> CapacityReports:
    opts = ctx.options
    run_dir = Path(ctx.run_dir)
    hr = headroom(outcome, opts.peak) if opts.peak is not None else None
    gate = gates(outcome, hr, bool(results))
    code = exit_code(audit_result, gate, inconclusive, untrusted_ledger)
    at = outcome.first_fail or (max(results, key=lambda r: r.users) if results else None)
    prev = None
    if at is not None:
        below = [r for r in results if r.users < at.users]
        prev = max(below, key=lambda r: r.users) if below else None
    limiter = limiting(at, prev)
    meta = RunMeta(run_id=run_dir.name, profile=opts.name, started_at=ctx.started_wall, ended_at=time.time(),
                   target=opts.target, seed=opts.seed, users=None, schedule=None, bugs=tuple(opts.bugs),
                   extra={"under": opts.under.text if opts.under else "", "probe": ctx.probe_line})
    faults = ()
    if ctx.fault_window is not None:
        s, e = ctx.fault_window
        faults = (FaultWindow(opts.under.text, 0.0 if s is None else s - ctx.started_wall,
                              None if e is None else e - ctx.started_wall, ctx.fault_detail),)
    limits = ctx.limits
    # with a ledger known to be incomplete a violation cannot blame the stack (exit 3, not 1)
    invariant_failed = audit_result is not None and audit_result.verdict is Verdict.INVALID and not untrusted_ledger
    if invariant_failed:
        headline = "correctness failure: an invariant broke, so no capacity is reported"
    elif inconclusive and not results:
        headline = "inconclusive: the search could not run"
    else:
        headline = outcome.sentence()
    knee = outcome.knee if not invariant_failed else None
    cpu_bound = limiter.what == "machine" or bool(at and at.resources and limiter.what in at.resources.cpu_pct)
    speed = summarize(knee.served_ops if knee else None, knee.speed if knee else None, [r.speed for r in results],
                      cpu_bound)
    summary = build_summary(meta, audit_result, None, gate, faults, code, inconclusive)
    summary["capacity"] = {
        "outcome": outcome.kind.value if not invariant_failed else "correctness_failure",
        "headline": headline,
        "capacity_orders_per_s": None if invariant_failed or outcome.capacity_ops is None
        else round(outcome.capacity_ops, 3),
        "knee_users": outcome.knee.users if outcome.knee and not invariant_failed else None,
        "first_fail_users": outcome.first_fail.users if outcome.first_fail else None,
        "demand_per_diner_orders_per_s": outcome.demand_per_user,
        "machine_speed": jsonable(speed),
        "headroom": jsonable(hr),
        "limiting": jsonable(limiter),
        "under": opts.under.text if opts.under else None,
        "latency_floor_ms": {"place": round(ctx.floors[0], 1), "pay": round(ctx.floors[1], 1)},
        "limits": jsonable(limits),
        "plan": jsonable(opts.plan),
        "step_seconds": opts.step_seconds, "confirm_seconds": opts.confirm_seconds, "warmup_s": opts.warmup,
        "wall_s": round(time.time() - ctx.started_wall, 1),
        "notes": list(ctx.notes),
        "steps": jsonable(list(results)),
    }
    html_path, summary_path, junit_path = run_dir / "capacity.html", run_dir / "summary.json", run_dir / "junit.xml"
    atomic_write(summary_path, dumps(summary) + "\n")
    tree = build_capacity_junit(meta, audit_result, gate, results)
    atomic_write(junit_path, '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(tree.getroot(), encoding="unicode") + "\n")
    env = Environment(loader=PackageLoader("harness.capacity", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    procs = sorted({k for r in results if r.resources for k in r.resources.cpu_pct})
    html = env.get_template("capacity.html.j2").render(
        meta=meta, code=int(code), code_name=code.name.lower(), headline=headline, invariant_failed=invariant_failed,
        outcome=outcome, headroom=hr, limiter=limiter, speed=speed if knee else None, speed_ref=REFERENCE_SPEED,
        results=list(results), procs=procs, limits=limits,
        floors=ctx.floors, under=opts.under.text if opts.under else "", fault_detail=ctx.fault_detail,
        checks=audit_result.checks if audit_result else (), audit_intents=audit_result.intents if audit_result else 0,
        inconclusive=list(inconclusive), notes=list(ctx.notes), probe=ctx.probe_line,
        started=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ctx.started_wall)),
        wall_s=summary["capacity"]["wall_s"], step_seconds=opts.step_seconds, confirm_seconds=opts.confirm_seconds,
        warmup=opts.warmup,
        rate_svg=rate_svg(results, outcome),
        latency_svg=latency_svg(results, outcome, limits.place_limit_ms, limits.pay_limit_ms),
        fmt_ms=_fmt_ms,
    )
    atomic_write(html_path, html)
    lines = [headline]
    if hr is not None and not invariant_failed:
        lines.append(hr.sentence)
    if knee is not None:
        lines.append(speed.sentence)
    if not invariant_failed and results:
        lines.append(f"limiting: {limiter.sentence}")
    if audit_result is not None:
        for c in audit_result.checks:
            if c.verdict is not Verdict.VALID:
                ex = f" e.g. {c.examples[0].ref}: {c.examples[0].why}" if c.examples else ""
                lines.append(f"  {c.verdict.value.upper()} {c.name} {c.count}{ex}")
    lines += [f"  inconclusive: {why}" for why in inconclusive]
    return CapacityReports(code, html_path, summary_path, junit_path, tuple(lines), limiter, hr)
