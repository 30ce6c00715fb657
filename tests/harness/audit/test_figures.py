import dataclasses

import pytest
from auditbuild import FAIL, FAILED, PENDING, T0, UNKNOWN, History

from harness.audit import System, figures


def fig(h: History):
    return figures(h.entries, h.reads)


def outcome(f, system: System):
    o = next(o for o in f.outcomes if o.system is system)
    return (o.ok, o.recovered, o.absent, o.failing)


def test_intents_per_kind_and_what_diners_were_told():
    h = History().paid("k1", kind="takeaway").paid("k2", kind="pos").placed("k3")
    h.intent("k4", order=FAIL, payment=None, kind="pos")
    f = fig(h)
    assert f.intents == 4 and f.intents_by_kind == {"dine_in": 1, "pos": 2, "takeaway": 1}
    assert f.told_order == {"ok": 3, "fail": 1} and f.told_payment == {"ok": 2, "none": 2}


def test_outcome_table():
    h = (History().paid("k1")                                      # ok everywhere
         .paid("k2", order=UNKNOWN, payment=UNKNOWN)               # recovered everywhere
         .intent("k3", order=UNKNOWN, payment=None)                # absent everywhere
         .placed("k4"))                                            # ok order, nothing to pay yet
    h.intent("k5", payment=FAIL).order("o5", "k5", FAILED).charge("o5", status="declined")
    h.intent("k6", payment=None)                                   # lost order
    h.paid("k7").ticket("o7")                                      # duplicated ticket
    f = fig(h)
    assert outcome(f, System.ORDERS) == (4, 1, 1, 1)
    assert outcome(f, System.CHARGES) == (2, 1, 4, 0)
    assert outcome(f, System.TICKETS) == (1, 1, 4, 1)


def test_retries_redeliveries_and_recovered_payments():
    h = History().paid("k1", order_attempts=3, payment_attempts=2).paid("k2", payment=UNKNOWN)
    h.intent("k3", payment=UNKNOWN).order("o3", "k3", FAILED)
    h.intent("k4", payment=UNKNOWN).order("o4", "k4", PENDING)
    h.tickets[0] = dataclasses.replace(h.tickets[0], deliveries=3)
    f = fig(h)
    assert (f.order_retried, f.order_extra_attempts, f.payment_retried, f.payment_extra_attempts) == (1, 2, 1, 1)
    assert (f.kitchen_redelivered_tickets, f.kitchen_redeliveries) == (1, 2)
    assert f.payments_recovered == 1 and f.payments_unknown_absent == 1


def test_order_to_kitchen_latency():
    h = History()
    for i in range(1, 101):                       # paid at T0+1, tickets 10 ms .. 1000 ms later
        h.intent(f"k{i}").order(f"o{i}", f"k{i}", paid_at=T0 + 1).charge(f"o{i}").ticket(
            f"o{i}", received_at=T0 + 1 + i / 100)
    f = fig(h)
    lat = f.kitchen_latency
    assert lat.count == 100
    assert lat.p50_ms == pytest.approx(505, abs=1) and lat.p95_ms == pytest.approx(950.5, abs=1)
    assert lat.max_ms == pytest.approx(1000, abs=0.5)
    assert sum(f.kitchen_latency_hist.counts) == 100 and f.kitchen_latency_hist.clipped == 0


def test_no_reads_gives_empty_figures():
    h = History().paid("k1")
    f = figures(h.entries, None)
    assert f.intents == 1 and f.kitchen_latency.count == 0 and f.kitchen_latency_hist.counts == ()
    assert all(o.ok == o.failing == 0 for o in f.outcomes)
