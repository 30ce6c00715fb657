"""junit.xml: one <testcase> per invariant (checker) and per SLO; failures say where the violations cluster and
carry the example ids with the fault windows each is blamed on. Recovery after each fault is a figure: a
property per fault window of the SLO suite, and its system-out.

A checker or SLO that could not be decided is an <error> (the run is inconclusive), never a silent pass.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Sequence

from harness.audit.model import AuditResult, CheckResult, Verdict
from harness.report.where import cluster_lines, where_text
from harness.report.kitchen import Recovery
from harness.report.model import RunMeta
from harness.report.slo import SLOResult, SLOStatus

INVARIANTS = "dinerush.invariants"
SLOS = "dinerush.slo"


def _check_case(suite: ET.Element, c: CheckResult) -> tuple[int, int]:
    case = ET.SubElement(suite, "testcase", classname=INVARIANTS, name=c.name, time="0")
    per = ", ".join(f"{s.system.value} {s.count}" for s in c.systems if s.count)
    lines = [f"{e.system.value} {e.ref}: {e.why}" + (f" [{' + '.join(e.windows)}]" if e.windows else "")
             for e in c.examples]
    if c.verdict is Verdict.INVALID:
        where = where_text(c.clusters)
        el = ET.SubElement(case, "failure", message=f"{c.count} {c.name} ({per})" + (f", {where}" if where else ""),
                           type="invariant")
        el.text = "\n".join(cluster_lines(c) + lines)
        return 1, 0
    if c.verdict is Verdict.UNKNOWN:
        el = ET.SubElement(case, "error", message=f"{c.name} could not be decided: {c.note}", type="inconclusive")
        el.text = c.note
        return 0, 1
    ET.SubElement(case, "system-out").text = f"{c.name}: valid" + _not_applicable(c)
    return 0, 0


def _not_applicable(c: CheckResult) -> str:
    return f" (not applicable to {', '.join(s.value for s in c.not_applicable)}: the target has none)" \
        if c.not_applicable else ""


def _not_applicable_cases(suite: ET.Element, checks: Sequence[CheckResult]) -> int:
    """One skipped case per check and system of record the target does not have: visible, never a pass."""
    n = 0
    for c in checks:
        for system in c.not_applicable:
            case = ET.SubElement(suite, "testcase", classname=INVARIANTS, name=f"{c.name}.{system.value}", time="0")
            ET.SubElement(case, "skipped", message=f"not applicable: the target has no {system.value} system of record")
            n += 1
    return n


def _slo_case(suite: ET.Element, s: SLOResult) -> tuple[int, int]:
    case = ET.SubElement(suite, "testcase", classname=SLOS, name=s.name, time="0")
    if s.status is SLOStatus.FAIL:
        el = ET.SubElement(case, "failure", message=f"{s.name}: {s.measured} {s.unit} > {s.threshold} {s.unit}",
                           type="slo")
        el.text = s.detail
        return 1, 0
    if s.status is SLOStatus.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", message=s.detail)
        return 0, 0
    if s.status is SLOStatus.UNKNOWN:
        ET.SubElement(case, "error", message=f"{s.name} could not be measured: {s.detail}", type="inconclusive")
        return 0, 1
    ET.SubElement(case, "system-out").text = s.detail
    return 0, 0


def _recovery(suite: ET.Element, props: ET.Element, recovery: Sequence[Recovery]) -> None:
    """Recovery after each fault heals: figures, not pass/fail (properties + the suite's system-out)."""
    lines = []
    for i, r in enumerate(recovery, 1):
        ET.SubElement(props, "property", name=f"recovery.{i}.{r.fault}", value=r.text)
        lines.append(r.line)
    if lines:
        ET.SubElement(suite, "system-out").text = "\n".join(lines)


def build_junit(meta: RunMeta, audit: AuditResult | None, slos: Sequence[SLOResult],
                recovery: Sequence[Recovery] = ()) -> ET.ElementTree:
    root = ET.Element("testsuites", name=f"dinerush {meta.profile}")
    totals = [0, 0, 0]
    checks = audit.checks if audit is not None else ()
    for suite_name, items, fn in ((INVARIANTS, checks, _check_case), (SLOS, tuple(slos), _slo_case)):
        suite = ET.SubElement(root, "testsuite", name=suite_name, timestamp=str(int(meta.started_at)))
        props = ET.SubElement(suite, "properties")
        for k, v in (("run_id", meta.run_id), ("profile", meta.profile), ("target", meta.target),
                     ("bugs", ",".join(meta.bugs))):
            ET.SubElement(props, "property", name=k, value=v)
        if suite_name == SLOS:
            _recovery(suite, props, recovery)
        fails = errs = 0
        for it in items:
            f, e = fn(suite, it)  # type: ignore[operator]
            fails, errs = fails + f, errs + e
        if suite_name == INVARIANTS and audit is None:
            case = ET.SubElement(suite, "testcase", classname=INVARIANTS, name="audit", time="0")
            ET.SubElement(case, "error", message="the audit did not run", type="inconclusive")
            errs += 1
        skipped = _not_applicable_cases(suite, checks) if suite_name == INVARIANTS else 0
        skipped += sum(1 for s in slos if s.status is SLOStatus.NOT_APPLICABLE) if suite_name == SLOS else 0
        n = len(items) + (1 if suite_name == INVARIANTS and audit is None else 0) + (
            skipped if suite_name == INVARIANTS else 0)
        suite.set("tests", str(n))
        suite.set("failures", str(fails))
        suite.set("errors", str(errs))
        suite.set("skipped", str(skipped))
        totals = [totals[0] + n, totals[1] + fails, totals[2] + errs]
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    ET.indent(root)
    return ET.ElementTree(root)
