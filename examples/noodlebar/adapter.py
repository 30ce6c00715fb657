"""Noodle Bar's dinerush adapter: both halves of the contract for examples/noodlebar/app.py.

The diner half (`Diner`) runs inside Locust: it maps an intent onto Noodle Bar's own routes and fields and says
what each answer told the diner. The audit half (`Records`) reads the app's SQLite file directly (a plain Python
function) and maps its rows onto orders and charges; Noodle Bar has no kitchen, so tickets are not applicable.
"""
from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from harness.records import PAID, PAYMENT_FAILED, PLACED, ChargeRow, Item, OrderRow, RecordsAdapter
from scenarios.adapter import Answer, DinerAdapter, Intent, Menu, Reading, Told, unsure
from scenarios.data import Dish

STATES = {"open": PLACED, "settled": PAID, "declined": PAYMENT_FAILED}   # Noodle Bar's tab states → the audit's


def cents(money: str) -> int:
    """"12.50" → 1250 (money is decimal strings on this API)."""
    return int((Decimal(money) * 100).to_integral_value())


class Diner(DinerAdapter):
    """GET /api/v2/dishes, POST /api/v2/tabs (client_ref is its idempotency token), POST .../settle, GET a tab."""

    idempotent_place = True   # the same client_ref again answers the first tab: a retry is safe

    def menu(self) -> Menu | None:
        a = self.http.call("GET", "/api/v2/dishes", "menu")
        if a.status != 200 or not a.body:
            return None
        try:
            dishes = tuple(Dish(d["sku"], d["title"], cents(d["price"]), not d["in_stock"]) for d in a.body["dishes"])
        except (KeyError, TypeError, ArithmeticError):
            return None
        menu = Menu(dishes)
        return menu if menu.available() else None

    def place(self, intent: Intent) -> Reading:
        a = self.http.call("POST", "/api/v2/tabs", "place", json={
            "client_ref": intent.key, "seat": intent.table,
            "lines": [{"sku": i.dish_id, "count": i.qty} for i in intent.items]})
        if (r := unsure(a)) is not None:
            return r
        tab = (a.body or {}).get("tab") or {}
        if a.status in (200, 201) and tab.get("number") is not None:
            return Reading(Told.OK, False, f"http {a.status}", order_id=str(tab["number"]))
        return Reading(Told.FAIL, False, f"http {a.status}{_why(a)}") if 400 <= (a.status or 0) < 500 else \
            Reading(Told.UNKNOWN, True, f"unexpected http {a.status}")

    def pay(self, intent: Intent, order_id: str) -> Reading:
        a = self.pay_http.call("POST", f"/api/v2/tabs/{order_id}/settle", "pay", json={"card_token": intent.card})
        return unsure(a) or _paid(a, "http")

    def status(self, order_id: str) -> Reading:
        a = self.http.call("GET", f"/api/v2/tabs/{order_id}", "status")
        return unsure(a) or _paid(a, "read http")


def _why(a: Answer) -> str:
    detail = (a.body or {}).get("detail") or (a.body or {}).get("reason")
    return f": {str(detail)[:120]}" if detail else ""


def _paid(a: Answer, how: str) -> Reading:
    """A settle answer or a tab read: settled is ok, declined a definite no, open still unknown."""
    state = ((a.body or {}).get("tab") or {}).get("state")
    status = STATES.get(state)
    if a.status == 200 and status == PAID:
        return Reading(Told.OK, False, f"{how} 200 {PAID}", status=PAID)
    if a.status == 402 or status == PAYMENT_FAILED:
        return Reading(Told.FAIL, False, f"{how} {a.status} {PAYMENT_FAILED}{_why(a)}", status=PAYMENT_FAILED)
    if a.status is not None and 400 <= a.status < 500:
        return Reading(Told.FAIL, False, f"{how} {a.status}{_why(a)}")
    return Reading(Told.UNKNOWN, True, f"{how} {a.status} {status or state}", status=status)


class Records(RecordsAdapter):
    """Reads Noodle Bar's SQLite file (`[adapter.settings].db`): tabs are orders, payments are charges."""

    def _rows(self, sql: str) -> list[sqlite3.Row]:
        conn = sqlite3.connect(f"file:{self.setting('db')}?mode=ro", uri=True, timeout=10.0)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def orders(self):
        for r in self._rows("SELECT number, client_ref, state, lines, amount, opened_at, settled_at FROM tabs"):
            items = tuple(Item(ln["sku"], int(ln["count"]), cents(ln["price"])) for ln in json.loads(r["lines"]))
            yield OrderRow(str(r["number"]), r["client_ref"], STATES.get(r["state"], r["state"]), items,
                           cents(r["amount"]), float(r["opened_at"]), r["settled_at"])

    def charges(self):
        return [ChargeRow(f"pay-{r['id']}", str(r["tab_number"]), cents(r["amount"]), r["outcome"], float(r["at"]))
                for r in self._rows("SELECT id, tab_number, amount, outcome, at FROM payments")]

    # tickets(): not overridden → None: Noodle Bar has no kitchen system of record ("not applicable")
    # in_flight(): the default: nothing PAYMENT_PENDING (Noodle Bar settles synchronously, so nothing ever is)
