from auditbuild import FAIL, FAILED, PAID, PLACED, UNKNOWN, History, counts, refs

from harness.audit import System, Verdict


def test_correct_journeys_are_valid():
    h = History().paid("k1").placed("k2").intent("k3", order=UNKNOWN, payment=None) \
        .intent("k4", order=FAIL, payment=None).placed("k5", payment=UNKNOWN)
    h.intent("k6", payment=FAIL).order("o6", "k6", FAILED).charge("o6", status="declined")
    r = h.check("lost")
    assert (r.verdict, r.count) == (Verdict.VALID, 0)


def test_order_told_ok_but_no_row_is_lost():
    r = History().paid("k1").intent("k2", payment=None).check("lost")
    assert r.verdict is Verdict.INVALID
    assert counts(r) == {"orders": 1}
    assert refs(r) == ["o2"] and "no order row" in r.examples[0].why


def test_payment_told_ok_without_order_is_lost_on_orders_and_charges():
    r = History().intent("k1").check("lost")
    assert counts(r) == {"orders": 1, "charges": 1}


def test_paid_order_without_captured_charge_is_lost():
    h = History().intent("k1").order("o1", "k1", PAID).ticket("o1").charge("o1", status="declined")
    r = h.check("lost")
    assert counts(r) == {"charges": 1} and refs(r, System.CHARGES) == ["o1"]


def test_paid_order_without_ticket_is_lost_whatever_the_diner_was_told():
    h = History().intent("k1", payment=UNKNOWN).order("o1", "k1", PAID).charge("o1")
    r = h.check("lost")
    assert counts(r) == {"tickets": 1} and "no kitchen ticket" in r.examples[0].why


def test_payment_told_ok_but_order_not_paid_is_lost():
    h = History().intent("k1").order("o1", "k1", FAILED)
    r = h.check("lost")
    assert counts(r) == {"orders": 1, "charges": 1}
    assert "PAYMENT_FAILED" in r.examples[0].why


def test_payment_told_ok_order_placed_but_charge_captured_is_lost_on_orders_only():
    h = History().intent("k1").order("o1", "k1", PLACED).charge("o1")
    assert counts(h.check("lost")) == {"orders": 1}


def test_examples_are_capped_but_count_is_total():
    h = History()
    for i in range(12):
        h.intent(f"k{i}", payment=None)
    r = h.check("lost", max_examples=3)
    assert r.count == 12 and len(r.examples) == 3


def test_missing_reads_or_ledger_is_unknown():
    from harness.audit import run_checker
    h = History().paid("k1")
    assert run_checker("lost", h.entries, None).verdict is Verdict.UNKNOWN
    r = run_checker("lost", None, h.reads)
    assert r.verdict is Verdict.UNKNOWN and "ledger" in r.note


def test_a_definite_loss_stands_even_when_the_ledger_repeats_a_key():
    h = History().paid("k1").intent("k1").intent("k2", payment=None)
    r = h.check("lost")
    assert r.verdict is Verdict.INVALID
    clean = History().paid("k1").paid("k1")
    assert clean.check("lost").verdict is Verdict.UNKNOWN


def test_told_ok_order_found_by_its_id_is_not_lost():
    h = History().intent("k1", order_id="o1", payment=None).order("o1", "other-key", PLACED)
    assert h.check("lost").verdict is Verdict.VALID


# --- refunds and voids are read and reconciled (issue 11) -------------------------------------------------------
def test_a_paid_order_whose_charge_was_refunded_has_lost_its_money():
    h = History().intent("k1").order("o1", "k1", PAID).charge("o1", cid="ch1", status="refunded").ticket("o1")
    r = h.check("lost")
    assert counts(r) == {"charges": 1}
    assert r.examples[0].why == "order PAID but its charge was refunded (ch1)"


def test_a_refunded_first_capture_beside_a_kept_one_is_fine():
    h = History().paid("k1").charge("o1", status="voided")
    assert h.check("lost").verdict is Verdict.VALID
    assert h.check("duplicated").verdict is Verdict.VALID


def test_a_charge_status_the_audit_does_not_know_makes_it_unknown_naming_it():
    r = History().paid("k1").charge("o1", status="chargeback").check("lost")
    assert r.verdict is Verdict.UNKNOWN and "'chargeback'" in r.note
