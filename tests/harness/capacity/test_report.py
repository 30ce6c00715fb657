"""capacity.html, summary.json and junit.xml from synthetic step results (no load)."""
from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from harness.audit.model import AuditResult, CheckResult, Example, System, SystemCount, Verdict
from harness.capacity.context import CapacityOptions
from harness.capacity.report import write_capacity_reports
from harness.capacity.search import Limits, Peak, Resources, StepResult, conclude, judge_step
from harness.errors import Exit

LIM = Limits()


@dataclass
class FakeCtx:
    run_dir: Path
    options: CapacityOptions = field(default_factory=lambda: CapacityOptions(peak=Peak(orders_per_s=20.0)))
    floors: tuple[float, float] = (0.0, 0.0)
    notes: list[str] = field(default_factory=list)
    probe_line: str = "probe ok"
    fault_detail: str = ""
    fault_window: tuple | None = None
    started_wall: float = field(default_factory=time.time)

    @property
    def limits(self) -> Limits:
        return LIM


def steps() -> list[StepResult]:
    res = Resources(cpu_pct={"orders": 95.0, "postgres": 20.0, "locust": 30.0}, cores=2, outbox_unsent=0,
                    queue_messages=0, payments_pending=0, db_active=0.5, db_waiting=0.0)
    raw = [StepResult(1, 10, window_s=20, attempted_ops=10, served_ops=10, p95_place_ms=30, p95_pay_ms=60, error_rate=0,
                      resources=res),
           StepResult(2, 20, window_s=20, attempted_ops=20, served_ops=19.5, p95_place_ms=200, p95_pay_ms=300,
                      error_rate=0, resources=res),
           StepResult(3, 30, window_s=20, attempted_ops=22, served_ops=21, p95_place_ms=2500, p95_pay_ms=3000,
                      error_rate=0.002, resources=res)]
    return [judge_step(r, LIM, 1.0) for r in raw]


def audit_result(bad: bool) -> AuditResult:
    checks = tuple(CheckResult(n, Verdict.VALID, 0) for n in ("lost", "unexpected"))
    dup = CheckResult("duplicated", Verdict.INVALID if bad else Verdict.VALID, 3 if bad else 0,
                      (SystemCount(System.ORDERS, 3 if bad else 0,
                                   (Example(System.ORDERS, "key-1", "2 orders for one key"),) if bad else ()),))
    return AuditResult(checks + (dup,), intents=500)


def test_a_knee_report(tmp_path):
    results = steps()
    out = write_capacity_reports(FakeCtx(tmp_path), results, conclude(results), audit_result(False), [])
    assert out.exit_code is Exit.SLO                        # the capacity is below the expected peak
    s = json.loads(out.summary_json.read_text())
    c = s["capacity"]
    assert c["outcome"] == "knee" and c["capacity_orders_per_s"] == 19.5 and c["knee_users"] == 20
    assert c["headroom"]["sentence"] == "capacity 19.5 orders/s is only 0.97× your expected peak of 20.0 orders/s " \
                                        "(1200 orders/min): 0.5 orders/s short"
    assert c["limiting"]["what"] == "orders" and len(c["steps"]) == 3
    html = out.html.read_text()
    assert "<svg" in html and "knee 19.5/s @ 20 diners" in html and "orders CPU-bound at 95% of a core" in html
    assert "http://" not in html.split("</style>")[0]      # self-contained: no external CSS
    root = ET.parse(out.junit_xml).getroot()
    names = [(s.get("name"), c.get("name")) for s in root for c in s.findall("testcase")]
    assert ("dinerush.invariants", "duplicated") in names
    assert ("dinerush.capacity.steps", "step 03: 30 diners SLO") in names
    step3 = root.find(".//testcase[@name='step 03: 30 diners SLO']")
    assert step3.find("skipped") is not None and "p95 place 2500 ms" in step3.find("skipped").get("message")
    headroom = root.find(".//testcase[@name='headroom over peak']")
    assert headroom.find("failure") is not None           # 0.97× of the peak: the capacity gate fails


def test_no_peak_is_exit_0_and_a_correctness_failure_is_exit_1(tmp_path):
    results = steps()
    ctx = FakeCtx(tmp_path / "a", options=CapacityOptions())
    ctx.run_dir.mkdir()
    assert write_capacity_reports(ctx, results, conclude(results), audit_result(False), []).exit_code is Exit.OK
    ctx = FakeCtx(tmp_path / "b", options=CapacityOptions())
    ctx.run_dir.mkdir()
    out = write_capacity_reports(ctx, results, conclude(results), audit_result(True), [])
    assert out.exit_code is Exit.INVARIANT
    c = json.loads(out.summary_json.read_text())["capacity"]
    assert c["outcome"] == "correctness_failure" and c["capacity_orders_per_s"] is None
    assert "correctness failure" in out.html.read_text() and out.lines[0].startswith("correctness failure")
    assert any("duplicated 3" in line and "key-1" in line for line in out.lines)


def test_nothing_ran_is_inconclusive(tmp_path):
    out = write_capacity_reports(FakeCtx(tmp_path, options=CapacityOptions()), [], conclude([]), None,
                                 ["up: postgres did not start"])
    assert out.exit_code is Exit.INCONCLUSIVE and "no step ran" in out.html.read_text()


def test_the_machine_speed_and_the_adjusted_capacity_are_reported(tmp_path):
    from dataclasses import replace

    results = [replace(r, speed=s) for r, s in zip(steps(), (0.50, 0.40, 0.44))]
    out = write_capacity_reports(FakeCtx(tmp_path, options=CapacityOptions()), results, conclude(results),
                                 audit_result(False), [])
    m = json.loads(out.summary_json.read_text())["capacity"]["machine_speed"]
    assert m["knee_index"] == 0.8 and m["capacity_adjusted_orders_per_s"] == 24.375   # 19.5 / 0.8
    assert m["spread_between_steps"] == 0.25
    assert ("machine speed: 0.80× the reference during the knee's step; capacity at the reference speed 24.4 "
            "orders/s (compare searches by this figure); the speed moved 25% between steps") in out.lines
    html = out.html.read_text()
    assert "Machine speed: 0.80×" in html and "0.88×" in html     # step 3's own speed in the table


def test_a_limit_other_than_the_cpu_gives_no_adjusted_capacity(tmp_path):
    from dataclasses import replace

    waits = Resources(cpu_pct={"orders": 30.0, "postgres": 20.0}, cores=2, db_active=4.0, db_waiting=3.0)
    results = [replace(r, speed=0.4, resources=waits) for r in steps()]
    out = write_capacity_reports(FakeCtx(tmp_path, options=CapacityOptions()), results, conclude(results),
                                 audit_result(False), [])
    c = json.loads(out.summary_json.read_text())["capacity"]
    assert c["limiting"]["what"] == "database"
    assert c["machine_speed"]["knee_index"] == 0.8 and c["machine_speed"]["capacity_adjusted_orders_per_s"] is None
    assert any("the limit was not the CPU" in line for line in out.lines)


def test_without_probe_readings_the_speed_is_said_to_be_unmeasured(tmp_path):
    results = steps()
    out = write_capacity_reports(FakeCtx(tmp_path, options=CapacityOptions()), results, conclude(results),
                                 audit_result(False), [])
    m = json.loads(out.summary_json.read_text())["capacity"]["machine_speed"]
    assert m["knee_index"] is None and m["capacity_adjusted_orders_per_s"] is None
    assert "machine speed: not measured at the knee (no probe reading)" in out.lines
