"""A journey writes one entry that says what the diner was told, also when it was stopped mid-way."""
from __future__ import annotations

from scenarios.data import DinerFactory, derive_rng, make_menu
from scenarios.journey import STOPPED, Journey
from scenarios.ledger import Invalid, LedgerEntry, Told
from scenarios.outcome import Reading, merge_taps

import json


def _journey(card_rate: float = 0.0, table: str | None = "7") -> Journey:
    it = DinerFactory().intent(derive_rng(3), key="r1-0-dine_in-0-1", kind="dine_in", channel="dine_in",
                               menu=make_menu(1, 12), table=table, declined_rate=card_rate)
    return Journey(it, worker="local", started_at=100.0)


def test_a_journey_stopped_before_any_answer_is_unknown_with_no_payment():
    e = _journey().entry(ended_at=101.0)
    assert e.order is Told.UNKNOWN and e.order_reason == STOPPED
    assert e.payment is None and e.payment_reason is None
    assert e.extra == {"channel": "dine_in", "table": "7"}
    assert (e.started_at, e.ended_at) == (100.0, 101.0)


def test_a_journey_stopped_while_paying_is_ok_then_unknown():
    j = _journey()
    j.learnt_order(Reading(Told.OK, False, "http 201", order_id="o1"))
    j.pay_tried = True
    e = j.entry()
    assert (e.order, e.order_id, e.payment, e.payment_reason) == (Told.OK, "o1", Told.UNKNOWN, STOPPED)


def test_a_finished_journey_carries_what_was_learnt_and_round_trips():
    j = _journey(card_rate=1.0, table=None)
    j.order_attempts, j.payment_attempts, j.pay_tried = 2, 1, True
    j.learnt_order(Reading(Told.OK, False, "http 201", order_id="o1"))
    j.learnt_payment(Reading(Told.FAIL, False, "http 402 PAYMENT_FAILED"))
    e = j.entry()
    assert e.extra == {"channel": "dine_in", "card": "tok_declined"}
    assert Invalid.DECLINED_CARD in e.invalid
    assert e.expected_total_cents == j.intent.expected_total_cents
    assert LedgerEntry.from_dict(json.loads(e.to_json())) == e


def test_two_order_ids_for_one_key_are_both_recorded():
    j = _journey()
    j.learnt_order(Reading(Told.OK, False, "http 201", order_id="o1"))
    j.learnt_order(Reading(Told.OK, False, "http 201", order_id="o2"))
    e = j.entry()
    assert e.order_id == "o1" and e.extra["other_order_id"] == "o2"


def test_merge_taps_prefers_ok_then_fail_then_unknown():
    ok = Reading(Told.OK, False, "201", order_id="o")
    fail = Reading(Told.FAIL, False, "422")
    unk = Reading(Told.UNKNOWN, True, "timeout")
    assert merge_taps(unk, ok) is ok and merge_taps(ok, fail) is ok
    assert merge_taps(unk, fail) is fail
    assert merge_taps(unk, unk) is unk
