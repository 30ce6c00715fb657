"""stuck: not settled when the drain ended — orders still PAYMENT_PENDING, and any outbox, kitchen queue or
pending-payment backlog left (FinalReads.backlog).

Decisions:
- every intent settles: an order still PLACED after a pay attempt the stack answered (ok, a definite no, 202
  pending, 409 in flight, a read that found it paying) is stuck, whatever the diner was told.
- a pay attempt whose every answer said the stack never took it — no HTTP answer, a 5xx, a read that found the
  order still PLACED — leaves an unpaid order awaiting payment: nothing is in flight, so it is not stuck (seen
  on a correct stack: pay calls answered 503 while PostgreSQL restarted). The diner's last reason tells which.
  Only the order the diner paid counts: an extra PLACED order of a duplicated intent is `duplicated`'s.
- the backlog's payments_pending counts the same PENDING orders: only the excess over the rows seen is added.
"""
from __future__ import annotations

from harness.audit.checkers._collect import Findings
from harness.audit.index import PAYMENT_PENDING, PLACED, Index
from harness.audit.model import CheckResult, System
from scenarios.ledger import LedgerEntry, Told

NAME = "stuck"


def never_taken(e: LedgerEntry) -> bool:
    """The diner's last word on the payment says the stack never took it: unknown, after no HTTP answer, a 5xx,
    or a status read that found the order still PLACED."""
    why = e.payment_reason or ""
    return e.payment is Told.UNKNOWN and bool(why) and (not why.startswith(("http ", "read ", "unexpected "))
                                          or why.startswith(("http 5", "read http 5")) or why.endswith(" PLACED"))


def check(ix: Index) -> CheckResult:
    f = Findings(NAME, ix)
    if ix.reads is None:
        return f.result()
    pending = 0
    for o, e in zip(ix.orders, ix.order_intent):
        if o.status == PAYMENT_PENDING:
            pending += 1
            f.add(System.ORDERS, o.order_id, "still PAYMENT_PENDING after the drain")
        elif (o.status == PLACED and e is not None and e.payment is not None and o.order_id == e.order_id
              and not never_taken(e)):
            f.add(System.ORDERS, o.order_id, f"still PLACED after a pay attempt (payment told {e.payment.value})")
    b = ix.reads.backlog
    if b.outbox_unsent:
        f.add(System.ORDERS, "outbox", f"{b.outbox_unsent} outbox row(s) never sent to the kitchen", b.outbox_unsent)
    if b.payments_pending > pending:
        extra = b.payments_pending - pending
        f.add(f.payments, "payments_pending", f"{b.payments_pending} payment(s) pending at the end of the drain",
              extra)
    if b.queue_messages:
        f.add(System.TICKETS, "kitchen.tickets", f"{b.queue_messages} message(s) left in the kitchen queue",
              b.queue_messages)
    return f.result()
