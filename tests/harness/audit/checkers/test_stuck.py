from auditbuild import PENDING, UNKNOWN, History, counts, refs

from harness.audit import Verdict
from harness.audit.history import Backlog


def test_settled_run_is_valid():
    assert History().paid("k1").placed("k2").check("stuck").verdict is Verdict.VALID


def test_order_still_payment_pending():
    r = History().intent("k1", payment=UNKNOWN).order("o1", "k1", PENDING).check("stuck")
    assert counts(r) == {"orders": 1} and refs(r) == ["o1"]


def test_placed_after_an_unknown_pay_is_absent_by_default_and_stuck_when_asked():
    h = History().placed("k1", payment=UNKNOWN)
    assert h.check("stuck").verdict is Verdict.VALID
    r = h.check("stuck", placed_after_unknown_pay_is_stuck=True)
    assert counts(r) == {"orders": 1}


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
