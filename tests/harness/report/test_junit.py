import xml.etree.ElementTree as ET

from reportbuild import audit_with, check, meta

from harness.audit import Verdict
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


def test_missing_audit_is_an_error_case(tmp_path):
    out = write_reports(tmp_path, meta=meta(), audit=None, figures=None)
    root = ET.parse(out.junit_xml).getroot()
    assert root.get("errors") == "1" and root.find(".//testcase[@name='audit']/error") is not None
