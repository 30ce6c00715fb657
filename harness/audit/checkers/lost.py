"""lost: acknowledged but missing — an order told ok with no row, money told taken with no capture or no PAID
order, a PAID order with no captured charge or no kitchen ticket.

Decisions:
- an order never paid (payment None) legitimately has no charge and no ticket.
- "PAID but no charge/ticket" is judged from the databases for every PAID order, whatever the diner was told.
- payment told ok but the order is not PAID is lost on orders; if no charge was captured it is lost on charges too.
- a refunded or voided capture is money given back, not kept: a PAID order whose charge was refunded has lost it.
"""
from __future__ import annotations

from harness.audit.checkers._collect import Findings
from harness.audit.index import PAID, Index
from harness.audit.model import CheckResult, System
from scenarios.ledger import Told

NAME = "lost"


def check(ix: Index) -> CheckResult:
    f = Findings(NAME, ix)
    if ix.reads is None:
        return f.result()
    OK = Told.OK
    for e, o in zip(ix.entries, ix.entry_order):
        if e.order is not OK and e.payment is not OK:
            continue
        if o is None:
            if e.order is OK:
                f.add(System.ORDERS, e.order_id or e.key, f"diner told ok (key {e.key}) but no order row")
            if e.payment is OK and not (e.order_id and ix.captured_of(e.order_id)):
                f.add(System.CHARGES, e.order_id or e.key, "payment told ok but no order and no captured charge")
        elif e.payment is OK and o.status != PAID:
            f.add(System.ORDERS, o.order_id, f"payment told ok but order is {o.status}")
            if not any(ix.captured_of(r.order_id) for r in ix.orders_of(e)):
                f.add(System.CHARGES, o.order_id, "payment told ok but no captured charge")
    captured, ticket = ix.captured, ix.ticket
    for o in ix.orders:
        if o.status == PAID:
            oid = o.order_id
            if oid not in captured:
                back = ix.returned.get(oid)
                f.add(System.CHARGES, oid, f"order PAID but its charge was {back[0].status} ({back[0].charge_id})"
                      if back else "order PAID but no captured charge")
            if oid not in ticket:
                f.add(System.TICKETS, oid, "order PAID but no kitchen ticket")
    return f.result()
