from auditbuild import FAIL, OK, PENDING, PLACED, UNKNOWN, History, counts, refs

from harness.audit import Verdict
from harness.audit.history import Backlog


def test_settled_run_is_valid():
    assert History().paid("k1").placed("k2").check("stuck").verdict is Verdict.VALID


def test_order_still_payment_pending():
    r = History().intent("k1", payment=UNKNOWN).order("o1", "k1", PENDING).check("stuck")
    assert counts(r) == {"orders": 1} and refs(r) == ["o1"]


def test_placed_after_a_pay_attempt_is_stuck_whatever_the_diner_was_told():
    # False green of issue 11: a pay request that never settled left the order PLACED and the run passed.
    for told in (UNKNOWN, OK, FAIL):
        r = History().placed("k1", payment=told).check("stuck")
        assert counts(r) == {"orders": 1} and refs(r) == ["o1"], told
        assert told.value in r.examples[0].why


def test_placed_after_a_pay_the_stack_answered_pending_is_stuck():
    # the false green: 202 "pending" and then the order never settles
    r = History().placed("k1", payment=UNKNOWN, payment_reason="http 202 PAYMENT_PENDING").check("stuck")
    assert counts(r) == {"orders": 1}


def test_placed_after_pay_attempts_the_stack_never_took_awaits_payment():
    # pay calls answered 503 (or never answered) while the database restarted: nothing is in flight
    for why in ("http 503: database unavailable", "timeout", "connection refused", "read http 200 PLACED"):
        r = History().placed("k1", payment=UNKNOWN, payment_reason=why).check("stuck")
        assert r.verdict is Verdict.VALID, why


def test_placed_and_never_paid_is_settled():
    assert History().placed("k1", payment=None).check("stuck").verdict is Verdict.VALID


def test_only_the_paid_order_of_a_duplicated_intent_counts_as_stuck():
    h = History().paid("k1").order("o1-extra", "k1", PLACED)
    assert h.check("stuck").verdict is Verdict.VALID


def test_backlog_left_after_the_drain():
    h = History().paid("k1")
    h.backlog = Backlog(outbox_unsent=2, queue_messages=3)
    r = h.check("stuck")
    assert counts(r) == {"orders": 2, "tickets": 3}
    assert {"outbox", "kitchen.tickets"} == set(refs(r))


def test_pending_payments_in_the_backlog_are_not_counted_twice():
    h = History().intent("k1", payment=UNKNOWN).order("o1", "k1", PENDING)
    h.backlog = Backlog(payments_pending=1)
    assert h.check("stuck").count == 1
    h.backlog = Backlog(payments_pending=3)
    assert counts(h.check("stuck")) == {"orders": 1, "charges": 2}
