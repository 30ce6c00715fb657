"""The evidence floor on hand-built histories: a run is green only if it exercised what it claims."""
from auditbuild import FAIL, PLACED, History

from harness.audit import Index
from harness.audit.evidence import NO_FAULTS, ScheduledFault, SLOSeen, evidence, paid_end_to_end
from harness.audit.history import FinalReads

SLOS = ("p95 place latency", "p95 pay latency", "error rate")
MEASURED = [SLOSeen(n, None) for n in SLOS]
FAULT = ScheduledFault(0, "gateway_timeout", 20.0, 8.0)
APPLIED = {"action": "apply", "entry": 0, "fault": "gateway_timeout", "wall": 1.0}
HEALED = {"action": "heal", "entry": 0, "fault": "gateway_timeout", "wall": 9.0}


def judge(h: History, *, min_paid: int = 2, scheduled=(FAULT,), stamps=(APPLIED, HEALED), slos=MEASURED,
          reads: FinalReads | None | str = "from history"):
    ix = Index.build(h.entries, h.reads if reads == "from history" else reads)
    return evidence(ix, min_paid=min_paid, scheduled=scheduled, stamps=stamps, slos=slos, expected_slos=SLOS)


def two_paid() -> History:
    return History().paid("k1").paid("k2")


def test_a_run_that_exercised_everything_has_no_gap():
    ev = judge(two_paid())
    assert ev.enough and ev.gaps == () and ev.notes == () and ev.paid_end_to_end == 2


def test_an_empty_ledger_and_empty_databases_is_no_evidence():
    # False green of issue 11: a run folder with an empty ledger and empty databases re-audited to exit 0.
    gaps = judge(History()).gaps
    assert gaps[0] == "the ledger is empty: no diner intent was recorded"
    assert any(g.startswith("only 0 intent(s) placed and paid end to end") for g in gaps)
    assert {"no order rows in the orders database", "no captured charge in the gateway's charges",
            "no ticket rows in the kitchen database"} <= set(gaps)


def test_too_few_paid_end_to_end_names_the_floor():
    gaps = judge(two_paid(), min_paid=3).gaps
    assert gaps == ("only 2 intent(s) placed and paid end to end (PAID, captured, on the KDS); the floor is 3 "
                    "(profile min_paid)",)


def test_paid_end_to_end_needs_the_order_paid_charged_and_on_the_kds():
    h = History().paid("k1").placed("k2").intent("k3", order=FAIL, payment=None)
    h.intent("k4").order("o4", "k4")                       # told paid, order PAID, but no charge and no ticket
    assert paid_end_to_end(Index.build(h.entries, h.reads)) == 1


def test_a_system_of_record_without_rows_is_a_gap():
    h = History().intent("k1").order("o1", "k1", PLACED)
    gaps = judge(h, min_paid=0).gaps
    assert gaps == ("no captured charge in the gateway's charges", "no ticket rows in the kitchen database")


def test_a_scheduled_fault_that_never_applied_is_a_gap():
    # False green of issue 11: the load ended before a scheduled fault applied, and the run stayed green.
    assert judge(two_paid(), stamps=()).gaps == ("fault #1 gateway_timeout (at 20 s for 8 s) was never applied",)


def test_a_fault_applied_but_never_healed_is_a_gap():
    assert judge(two_paid(), stamps=(APPLIED,)).gaps == (
        "fault #1 gateway_timeout (at 20 s for 8 s) was applied but never healed",)


def test_a_run_json_without_its_schedule_cannot_prove_the_faults():
    assert judge(two_paid(), scheduled=None).gaps == (
        "run.json does not list the scheduled faults: cannot prove they applied and healed",)


def test_a_run_without_faults_says_what_it_proves():
    ev = judge(two_paid(), scheduled=(), stamps=())
    assert ev.enough and ev.notes == (NO_FAULTS,)
    assert NO_FAULTS == "no faults were scheduled: this run proves steady-state correctness only"


def test_every_slo_must_be_measured():
    gaps = judge(two_paid(), slos=[SLOSeen("p95 place latency", None), SLOSeen("error rate", "no requests")]).gaps
    assert gaps == ("SLO p95 pay latency was not measured (no result)",
                    "SLO error rate was not measured: no requests")


def test_without_final_reads_the_floor_adds_only_what_it_can_judge():
    gaps = judge(two_paid(), reads=None).gaps
    assert gaps == ("only 0 intent(s) placed and paid end to end (PAID, captured, on the KDS); the floor is 2 "
                    "(profile min_paid)",)
