"""The reference stack's diner adapter: the HTTP API of stack/README.md (what the diners always sent)."""
from __future__ import annotations

from scenarios.adapter import DinerAdapter
from scenarios.data import Intent, Menu
from scenarios.outcome import Reading, answer_of, classify_pay, classify_place, classify_status, menu_of


class ReferenceAdapter(DinerAdapter):
    """GET /menu, POST /orders (Idempotency-Key), POST /orders/{id}/pay, GET /orders/{id}."""

    idempotent_place = True

    def __init__(self, http, pay_http, shared: dict) -> None:
        super().__init__(http, pay_http, shared)
        self._menu: Menu | None = None
        self._raw: bytes | None = None   # the GET /menu answer (raw bytes) `_menu` was parsed from

    def menu(self) -> Menu | None:
        resp = self.http.send("GET", "/menu", "menu")
        if resp.status_code != 200:
            return None
        raw = resp.content
        if self._menu is not None and raw == self._raw:
            return self._menu  # the same menu again (the usual case): no need to parse it afresh
        seen = self.shared.get("menu_seen")
        if seen is not None and raw == seen[0]:
            menu = seen[1]  # another diner of this process parsed this very answer already
        else:
            menu = menu_of(answer_of(resp))
            if menu is None:
                return None
            self.shared["menu_seen"] = (raw, menu)
        self._menu, self._raw = menu, raw
        return menu

    def place(self, intent: Intent) -> Reading:
        return classify_place(self.http.call("POST", "/orders", "place", json=intent.order_body(),
                                             headers={"Idempotency-Key": intent.key}))

    def pay(self, intent: Intent, order_id: str) -> Reading:
        return classify_pay(self.pay_http.call("POST", f"/orders/{order_id}/pay", "pay", json={"card": intent.card}))

    def status(self, order_id: str) -> Reading:
        return classify_status(self.http.call("GET", f"/orders/{order_id}", "status"))

    def look(self, order_id: str) -> None:
        self.http.send("GET", f"/orders/{order_id}", "status")   # "is my food coming?" (the answer is not read)
