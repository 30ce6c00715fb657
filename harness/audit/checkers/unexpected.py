"""unexpected: a row with no intent — an order whose key is in no ledger entry, an order after a definite
`fail`, a captured charge of an unknown / unpaid / never-paid / told-failed order, a ticket of an unknown or
unpaid order — and a yes the stack had no right to give: an order with a sold-out dish taken, a tok_declined
card charged.

Decisions:
- unknown then present is recovered (pass); fail then present is unexpected.
- a captured charge of an order still PAYMENT_PENDING is left to `stuck` (not settled yet), not counted here.
- a ticket for any order not PAID (PENDING included) is unexpected: the kitchen must only cook paid orders.
- a charge of an order that itself has no intent is not counted again: the order already is.
- an intent made invalid on purpose (Invalid) that was told ok, or whose order / capture exists, is unexpected
  once per system; one told `fail` with a row is already counted by the rules above.
- a refunded or voided charge is money given back: never unexpected, whatever its order's state.
"""
from __future__ import annotations

from harness.audit.checkers._collect import Findings
from harness.audit.index import PAID, PAYMENT_PENDING, Index
from harness.audit.model import CheckResult, System
from scenarios.ledger import Invalid, Told

NAME = "unexpected"


def check(ix: Index) -> CheckResult:
    f = Findings(NAME, ix)
    if ix.reads is None:
        return f.result()
    FAIL = Told.FAIL
    _taken_though_invalid(f, ix)
    for o, e in zip(ix.orders, ix.order_intent):
        if e is None:
            f.add(System.ORDERS, o.order_id, f"order with key {o.key} matches no intent in the ledger")
        elif e.order is FAIL:
            f.add(System.ORDERS, o.order_id, f"diner was told the order failed ({e.order_reason or 'fail'}) but it exists")
    for c, o in zip(ix.captured_rows, ix.charge_order):
        if o is None:
            f.add(System.CHARGES, c.charge_id, f"captured charge for unknown order {c.merchant_ref}")
            continue
        status = o.status
        if status == PAID:
            e = ix.intent_of(o)
            if e is None:
                continue
            if e.payment is FAIL:
                f.add(System.CHARGES, c.charge_id,
                      f"diner told payment failed ({e.payment_reason or 'fail'}) but order {o.order_id} was charged")
            elif e.payment is None:
                f.add(System.CHARGES, c.charge_id, f"diner never paid but order {o.order_id} was charged")
        elif status != PAYMENT_PENDING:
            f.add(System.CHARGES, c.charge_id, f"captured charge but order {o.order_id} is {status}")
    for t, o in zip(ix.reads.tickets, ix.ticket_order):
        if o is None:
            f.add(System.TICKETS, t.order_id, "kitchen ticket for an unknown order")
        elif o.status != PAID:
            f.add(System.TICKETS, t.order_id, f"kitchen ticket for an unpaid order ({o.status})")
    return f.result()


def _taken_though_invalid(f: Findings, ix: Index) -> None:
    """Intents dinerush made invalid on purpose that the stack said yes to (told ok, or the row exists)."""
    FAIL, OK = Told.FAIL, Told.OK
    for e, o in zip(ix.entries, ix.entry_order):
        if not e.invalid and e.extra.get("card") != "tok_declined":
            continue
        if Invalid.STALE_MENU in e.invalid and e.order is not FAIL and (e.order is OK or o is not None):
            f.add(System.ORDERS, o.order_id if o is not None else e.key,
                  f"cart had a sold-out dish (stale menu) but the order was taken (told {e.order.value})")
        declined = Invalid.DECLINED_CARD in e.invalid or e.extra.get("card") == "tok_declined"
        if declined and e.payment is not None and e.payment is not FAIL:
            oid = o.order_id if o is not None else e.order_id
            if e.payment is OK or (oid is not None and ix.captured_of(oid)):
                f.add(f.payments, oid or e.key, f"tok_declined card was charged (payment told {e.payment.value})")
