"""The order state machine table: legal moves pass, everything else is refused."""
from __future__ import annotations

import itertools

import pytest

from stack.orders.states import TRANSITIONS, IllegalTransition, Status, can, is_final, transition

LEGAL = {
    (Status.PLACED, Status.PAYMENT_PENDING),
    (Status.PAYMENT_PENDING, Status.PAID),
    (Status.PAYMENT_PENDING, Status.PAYMENT_FAILED),
}


@pytest.mark.parametrize("current, target", sorted(LEGAL))
def test_legal_transitions(current, target):
    assert can(current, target)
    assert transition(current.value, target.value) is target


@pytest.mark.parametrize("current, target", sorted(set(itertools.product(Status, Status)) - LEGAL))
def test_everything_else_is_refused(current, target):
    assert not can(current, target)
    with pytest.raises(IllegalTransition, match=f"{current.value} -> {target.value}"):
        transition(current, target)


def test_final_states_and_table_covers_every_state():
    assert set(TRANSITIONS) == set(Status)
    assert {s for s in Status if is_final(s)} == {Status.PAID, Status.PAYMENT_FAILED}


def test_unknown_status_is_an_error():
    with pytest.raises(ValueError):
        transition("COOKED", "PAID")


def test_the_one_statement_settle_moves_only_from_the_statuses_the_table_allows() -> None:
    from stack.orders.service import SOURCES
    assert SOURCES[Status.PAID] == SOURCES[Status.PAYMENT_FAILED] == [Status.PAYMENT_PENDING.value]
    assert SOURCES[Status.PAYMENT_PENDING] == [Status.PLACED.value] and SOURCES[Status.PLACED] == []
    for target, sources in SOURCES.items():
        assert all(can(s, target) for s in sources)
        assert not any(can(s, target) for s in Status if s.value not in sources)


def test_a_forced_settle_may_start_from_any_status_but_its_target() -> None:
    from stack.orders.service import ANY_BUT
    for target, sources in ANY_BUT.items():
        assert set(sources) == {s.value for s in Status} - {target.value}
