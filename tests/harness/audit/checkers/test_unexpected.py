from auditbuild import DECLINED, FAIL, FAILED, PENDING, PLACED, STALE, UNKNOWN, History, counts, refs

from harness.audit import System, Verdict


def test_unknown_then_present_is_recovered_not_unexpected():
    h = History().paid("k1", order=UNKNOWN, payment=UNKNOWN)
    assert h.check("unexpected").verdict is Verdict.VALID


def test_fail_then_present_is_unexpected():
    h = History().intent("k1", order=FAIL, payment=None).order("o1", "k1", PLACED)
    r = h.check("unexpected")
    assert counts(r) == {"orders": 1} and "told the order failed" in r.examples[0].why


def test_order_whose_key_is_in_no_intent():
    r = History().paid("k1").order("o9", "k-ghost", PLACED).check("unexpected")
    assert counts(r) == {"orders": 1} and refs(r) == ["o9"]


def test_order_found_by_the_id_the_diner_was_told_is_not_an_orphan():
    h = History().intent("k1", order_id="o1", payment=None).order("o1", "k-other", PLACED)
    assert h.check("unexpected").verdict is Verdict.VALID


def test_captured_charge_for_an_unknown_order():
    r = History().paid("k1").charge("o-nowhere", cid="ch9").check("unexpected")
    assert counts(r) == {"charges": 1} and refs(r) == ["ch9"]


def test_captured_charge_for_an_order_marked_failed():
    # the no-reconcile defect: timeout -> PAYMENT_FAILED at once, but the gateway did capture
    h = History().intent("k1", payment=FAIL).order("o1", "k1", FAILED).charge("o1")
    r = h.check("unexpected")
    assert counts(r) == {"charges": 1} and "PAYMENT_FAILED" in r.examples[0].why


def test_captured_charge_after_the_diner_was_told_payment_failed():
    h = History().paid("k1", payment=FAIL)
    r = h.check("unexpected")
    assert counts(r) == {"charges": 1} and "told payment failed" in r.examples[0].why


def test_charge_of_an_order_the_diner_never_paid():
    h = History().paid("k1", payment=None)
    assert counts(h.check("unexpected")) == {"charges": 1}


def test_charge_of_a_still_pending_order_is_left_to_stuck():
    h = History().intent("k1", payment=UNKNOWN).order("o1", "k1", PENDING).charge("o1")
    assert h.check("unexpected").verdict is Verdict.VALID
    assert h.check("stuck").verdict is Verdict.INVALID


def test_declined_charge_is_not_money_taken():
    h = History().intent("k1", payment=FAIL).order("o1", "k1", FAILED).charge("o1", status="declined")
    assert h.check("unexpected").verdict is Verdict.VALID


def test_ticket_for_an_unpaid_order():
    h = History().placed("k1").ticket("o1")
    r = h.check("unexpected")
    assert counts(r) == {"tickets": 1} and "unpaid order (PLACED)" in r.examples[0].why


def test_ticket_for_a_pending_order_is_unexpected_too():
    h = History().intent("k1", payment=UNKNOWN).order("o1", "k1", PENDING).ticket("o1")
    assert counts(h.check("unexpected")) == {"tickets": 1}


def test_ticket_for_an_unknown_order():
    r = History().paid("k1").ticket("o-ghost").check("unexpected")
    assert counts(r) == {"tickets": 1} and refs(r, System.TICKETS) == ["o-ghost"]


def test_paid_flow_is_valid():
    h = History().paid("k1").paid("k2", payment=UNKNOWN).intent("k3", order=FAIL, payment=None)
    h.intent("k4", payment=FAIL).order("o4", "k4", FAILED)
    assert h.check("unexpected").verdict is Verdict.VALID


# --- a yes the stack had no right to give (issue 11) ---------------------------------------------------------
def test_a_cart_with_a_sold_out_dish_told_ok_is_unexpected():
    h = History().intent("k1", payment=None, invalid=STALE).order("o1", "k1", PLACED)
    r = h.check("unexpected")
    assert counts(r) == {"orders": 1} and refs(r) == ["o1"] and "sold-out dish" in r.examples[0].why


def test_a_stale_cart_taken_though_the_diner_heard_nothing_is_unexpected():
    h = History().intent("k1", order=UNKNOWN, order_id="o1", payment=None, invalid=STALE).order("o1", "k1", PLACED)
    assert counts(h.check("unexpected")) == {"orders": 1}


def test_a_stale_cart_unknown_and_absent_is_fine():
    h = History().paid("k2").intent("k1", order=UNKNOWN, payment=None, invalid=STALE)
    assert h.check("unexpected").verdict is Verdict.VALID


def test_a_declining_card_told_paid_is_unexpected():
    h = History().paid("k1", invalid=DECLINED)
    r = h.check("unexpected")
    assert counts(r) == {"charges": 1} and "tok_declined card was charged" in r.examples[0].why


def test_a_declining_card_captured_while_the_diner_heard_nothing_is_unexpected():
    h = History().paid("k1", payment=UNKNOWN, invalid=DECLINED)
    assert counts(h.check("unexpected")) == {"charges": 1}


def test_a_refunded_charge_of_a_failed_order_is_money_given_back():
    h = History().intent("k1", payment=FAIL, invalid=DECLINED).order("o1", "k1", FAILED).charge("o1", status="refunded")
    assert h.check("unexpected").verdict is Verdict.VALID
