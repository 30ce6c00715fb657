import xml.etree.ElementTree as ET

from reportbuild import audit_with, check, meta

from harness.audit import CheckResult, Example, System, SystemCount, Verdict
from harness.audit.model import Cluster
from harness.report.kitchen import Recovery
from harness.report import write_reports
from harness.report.slo import SLOResult, SLOStatus


def test_one_case_per_invariant_and_slo_with_examples(tmp_path):
    audit = audit_with(check("duplicated", Verdict.INVALID, tickets=[("o7", "2 ticket rows on the KDS")]),
                       check("stuck", Verdict.UNKNOWN))
    slos = [SLOResult("p95 place latency", SLOStatus.FAIL, 1500.0, 1000.0, "ms", "place", "p95 1500 ms"),
            SLOResult("error rate", SLOStatus.PASS, 0.0, 0.01, "ratio", "Aggregated", "0 of 9 failed")]
    out = write_reports(tmp_path, meta=meta(), audit=audit, figures=None, slos=slos)
    root = ET.parse(out.junit_xml).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "7" and root.get("failures") == "2"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    inv, slo = suites["dinerush.invariants"], suites["dinerush.slo"]
    cases = {c.get("name"): c for c in inv.findall("testcase")}
    assert set(cases) == {"lost", "duplicated", "unexpected", "mismatch", "stuck"}
    failure = cases["duplicated"].find("failure")
    assert "1 duplicated (tickets 1)" in failure.get("message") and "o7: 2 ticket rows" in failure.text
    assert cases["stuck"].find("error") is not None and cases["lost"].find("failure") is None
    assert (inv.get("failures"), inv.get("errors")) == ("1", "1")
    scases = {c.get("name"): c for c in slo.findall("testcase")}
    assert scases["p95 place latency"].find("failure") is not None
    assert scases["error rate"].find("failure") is None
    props = {p.get("name"): p.get("value") for p in inv.find("properties")}
    assert props["bugs"] == "kitchen-no-dedupe"


def test_failures_say_where_violations_cluster_and_recovery_is_a_property(tmp_path):
    drop = "kitchen_drop kitchen_publish reset_peer 56–61 s"
    tickets = SystemCount(System.TICKETS, 136, (Example(System.TICKETS, "o1", "order PAID but no kitchen ticket",
                                                        (drop,)),), (Cluster((drop,), 130), Cluster(("quiet",), 6)))
    lost = CheckResult("lost", Verdict.INVALID, 136,
                       (SystemCount(System.ORDERS, 0), SystemCount(System.CHARGES, 0), tickets))
    healed = (Recovery("kitchen_drop", 56, 61, "recovered", 2.5, 0.0, 2.5),
              Recovery("db_stall", 64, None, "never healed"))
    out = write_reports(tmp_path, meta=meta(), audit=audit_with(lost), figures=None, recovery=healed)
    root = ET.parse(out.junit_xml).getroot()
    failure = root.find(".//testcase[@name='lost']/failure")
    assert failure.get("message") == f"136 lost (tickets 136), 130 in {drop}, 6 quiet"
    assert f"lost tickets 136, 130 in {drop}, 6 quiet" in failure.text
    assert f"o1: order PAID but no kitchen ticket [{drop}]" in failure.text
    slo = root.find("testsuite[@name='dinerush.slo']")
    props = {p.get("name"): p.get("value") for p in slo.find("properties")}
    assert props["recovery.1.kitchen_drop"] == "2.5 s" and props["recovery.2.db_stall"] == "never healed"
    assert "recovery after kitchen_drop 56–61 s: 2.5 s" in slo.find("system-out").text


def test_missing_audit_is_an_error_case(tmp_path):
    out = write_reports(tmp_path, meta=meta(), audit=None, figures=None)
    root = ET.parse(out.junit_xml).getroot()
    assert root.get("errors") == "1" and root.find(".//testcase[@name='audit']/error") is not None
