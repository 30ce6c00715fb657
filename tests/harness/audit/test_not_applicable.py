"""A target without charges or kitchen tickets: their checks are "not applicable", never passed or failed."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from harness.audit import System, Verdict, audit
from harness.audit.evidence import paid_end_to_end
from harness.audit.index import Index
from harness.audit.history import FinalReads
from harness.report.junit import build_junit
from harness.report.model import RunMeta
from harness.report.slo import SLOConfig, SLOStatus, evaluate_slos
from harness.report.summary import build_summary
from harness.errors import Exit
from tests.harness.audit.auditbuild import FAIL, PAID, History, counts


def orders_only() -> History:
    """Two paid journeys on a stack that keeps only orders (no charge rows, no tickets)."""
    h = History().without("charges", "tickets")
    for key in ("k1", "k2"):
        oid = "o" + key[1:]
        h.intent(key, order_id=oid).order(oid, key, PAID)
    return h


def test_paid_orders_without_charges_or_tickets_are_not_lost():
    r = orders_only().check("lost")
    assert r.verdict is Verdict.VALID
    assert r.not_applicable == (System.CHARGES, System.TICKETS)


def test_the_same_history_with_those_systems_present_is_lost():
    r = History().paid("k1").check("lost")
    assert r.verdict is Verdict.VALID
    bare = orders_only()
    bare.absent = ()
    assert counts(bare.check("lost")) == {"charges": 2, "tickets": 2}


def test_orders_are_still_judged_when_other_systems_are_absent():
    h = orders_only().intent("k3", order_id="o3")   # told ok, no order row
    r = h.check("lost")
    assert r.verdict is Verdict.INVALID and counts(r) == {"orders": 1}


def test_a_refused_payment_is_still_caught_without_a_charges_system():
    h = orders_only().intent("k3", order_id="o3", payment=FAIL).order("o3", "k3", "PAYMENT_FAILED")
    r = h.check("refused")
    assert r.verdict is Verdict.INVALID and counts(r) == {"orders": 1}


def test_paid_end_to_end_needs_only_the_systems_the_target_has():
    h = orders_only()
    ix = Index.build(h.entries, h.reads)
    assert paid_end_to_end(ix) == 2
    h.absent = ()
    assert paid_end_to_end(Index.build(h.entries, h.reads)) == 0


def test_summary_and_junit_say_not_applicable():
    h = orders_only()
    result = audit(h.entries, h.reads)
    meta = RunMeta(run_id="r", profile="calm", started_at=0.0, ended_at=1.0)
    summary = build_summary(meta, result, None, (), (), Exit.OK)
    lost = next(c for c in summary["audit"]["checks"] if c["name"] == "lost")
    assert lost["not_applicable"] == ["charges", "tickets"]
    assert lost["systems"]["charges"]["applicable"] is False and lost["systems"]["orders"]["applicable"] is True
    json.dumps(summary)
    root = build_junit(meta, result, ()).getroot()
    suite = root.find("testsuite")
    skipped = [c.get("name") for c in suite.iter("testcase") if c.find("skipped") is not None]
    assert "lost.charges" in skipped and "duplicated.tickets" in skipped
    assert int(suite.get("skipped")) == len(skipped) == 2 * len(result.checks)


def test_final_reads_keep_absent_through_json():
    reads = FinalReads((), (), (), absent=("tickets",))
    assert FinalReads.from_json(reads.to_json()).absent == ("tickets",)
    assert FinalReads.from_json(json.dumps({"orders": [], "charges": [], "tickets": []})).absent == ()


def test_kitchen_slo_is_not_applicable_without_tickets():
    results = evaluate_slos(SLOConfig(), None, kitchen=None, kitchen_applicable=False)
    kitchen = next(r for r in results if r.name == "p95 paid to kitchen")
    assert kitchen.status is SLOStatus.NOT_APPLICABLE
    assert next(r for r in evaluate_slos(SLOConfig(), None) if r.name == "p95 paid to kitchen").status \
        is SLOStatus.UNKNOWN
    root = build_junit(RunMeta(run_id="r", profile="calm", started_at=0.0, ended_at=1.0), None, results).getroot()
    slo_suite = root.findall("testsuite")[1]
    assert slo_suite.get("skipped") == "1"
    assert ET.tostring(slo_suite).count(b"<skipped") == 1
