"""The order state machine: one explicit table of legal transitions; anything else is refused."""
from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    PLACED = "PLACED"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PAID = "PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PLACED: frozenset({Status.PAYMENT_PENDING}),
    Status.PAYMENT_PENDING: frozenset({Status.PAID, Status.PAYMENT_FAILED}),
    Status.PAID: frozenset(),
    Status.PAYMENT_FAILED: frozenset(),
}


class IllegalTransition(ValueError):
    """A transition the table does not allow (e.g. PAYMENT_FAILED → PAID)."""

    def __init__(self, current: Status, target: Status):
        super().__init__(f"illegal transition {current.value} -> {target.value}")
        self.current, self.target = current, target


def can(current: Status | str, target: Status | str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def transition(current: Status | str, target: Status | str) -> Status:
    """The new status, or IllegalTransition."""
    cur, tgt = Status(current), Status(target)
    if tgt not in TRANSITIONS[cur]:
        raise IllegalTransition(cur, tgt)
    return tgt


def is_final(status: Status | str) -> bool:
    return not TRANSITIONS[Status(status)]
