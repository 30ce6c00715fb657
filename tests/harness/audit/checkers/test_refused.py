"""refused: a definite no to an intent dinerush did not make invalid on purpose (issue 11's false greens:
a stack that answers a valid cart 422, or a good card "declined", used to pass)."""
from auditbuild import DECLINED, FAIL, FAILED, OK, PLACED, STALE, UNKNOWN, History, counts, refs

from harness.audit import System, Verdict


def test_a_valid_cart_answered_422_is_refused():
    h = History().paid("k1").intent("k2", order=FAIL, payment=None, order_reason="http 422: dish D03 is sold out")
    r = h.check("refused")
    assert counts(r) == {"orders": 1} and refs(r) == ["k2"]
    assert r.examples[0].why == "valid cart answered http 422: dish D03 is sold out"


def test_a_stale_cart_answered_422_is_the_stack_working():
    h = History().paid("k1").intent("k2", order=FAIL, payment=None, invalid=STALE)
    assert h.check("refused").verdict is Verdict.VALID


def test_a_good_card_told_declined_is_refused():
    h = (History().intent("k1", payment=FAIL, payment_reason="http 402 PAYMENT_FAILED")
         .order("o1", "k1", FAILED).charge("o1", status="declined"))
    r = h.check("refused")
    assert counts(r) == {"charges": 1} and refs(r, System.CHARGES) == ["o1"]
    assert r.examples[0].why == "tok_visa told declined (http 402 PAYMENT_FAILED)"


def test_a_declining_card_told_declined_is_the_stack_working():
    h = (History().intent("k1", payment=FAIL, invalid=DECLINED, extra={"card": "tok_declined"})
         .order("o1", "k1", FAILED).charge("o1", status="declined"))
    assert h.check("refused").verdict is Verdict.VALID


def test_a_ledger_from_before_the_invalid_field_still_names_the_declining_card():
    h = History().intent("k1", payment=FAIL, extra={"card": "tok_declined"}).order("o1", "k1", FAILED)
    assert h.check("refused").verdict is Verdict.VALID


def test_a_decline_the_provider_fault_injected_is_not_refused():
    h = (History().intent("k1", payment=FAIL).order("o1", "k1", FAILED)
         .charge("o1", status="declined", injected=True))
    assert h.check("refused").verdict is Verdict.VALID
    not_injected = History().intent("k1", payment=FAIL).order("o1", "k1", FAILED).charge("o1", status="declined")
    assert not_injected.check("refused").count == 1


def test_an_honest_not_now_is_no_refusal():
    h = History().intent("k1", order=UNKNOWN, payment=None).placed("k2", payment=UNKNOWN)
    assert h.check("refused").verdict is Verdict.VALID


def test_a_refused_order_is_counted_once_not_again_at_its_payment():
    h = History().intent("k1", order=FAIL, payment=FAIL)
    assert counts(h.check("refused")) == {"orders": 1}


def test_payments_are_not_judged_without_the_final_reads():
    from harness.audit import run_checker
    h = History().intent("k1", payment=FAIL).order("o1", "k1", PLACED)
    assert run_checker("refused", h.entries, None).verdict is Verdict.UNKNOWN
    h2 = History().intent("k2", order=FAIL, payment=None)
    assert run_checker("refused", h2.entries, None).verdict is Verdict.INVALID   # the ledger alone proves it


def test_ok_is_never_refused():
    assert History().paid("k1").paid("k2", order=OK).check("refused").verdict is Verdict.VALID
