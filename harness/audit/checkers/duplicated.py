"""duplicated: done twice — two orders for one intent (same idempotency key), two captured charges for one
order (same merchant_ref), one order with two ticket rows on the KDS.

Decisions:
- declined charges are not money taken: they never count as duplicates.
- a second capture that was refunded or voided is money given back: not a duplicate.
- a ticket's `deliveries` > 1 is a redelivery the KDS deduplicated: a figure, not a duplicate.
"""
from __future__ import annotations

from harness.audit.checkers._collect import Findings
from harness.audit.index import Index
from harness.audit.model import CheckResult, System

NAME = "duplicated"


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:4]) + (", ..." if len(ids) > 4 else "")


def check(ix: Index) -> CheckResult:
    f = Findings(NAME, ix)
    if ix.reads is None:
        return f.result()
    for key, rows in ix.order_dups.items():
        f.add(System.ORDERS, key, f"{len(rows)} orders for one intent: {_ids([r.order_id for r in rows])}")
    for oid, charges in ix.captured_dups.items():
        f.add(System.CHARGES, oid, f"{len(charges)} captured charges: {_ids([c.charge_id for c in charges])}")
    for oid, tickets in ix.ticket_dups.items():
        f.add(System.TICKETS, oid, f"{len(tickets)} ticket rows on the KDS for one order")
    return f.result()
