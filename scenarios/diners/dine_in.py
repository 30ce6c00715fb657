"""Dine-in: scan the table's QR code, read the menu, fill a cart, order for the table, pay at the table."""
from __future__ import annotations

from locust import task

from scenarios.diners.base import DinerUser
from scenarios.ledger import Told


class DineIn(DinerUser):
    kind = "dine_in"
    channel = "dine_in"

    def on_start(self) -> None:
        self.table = self.dinerush.factory.table(self.rng)  # the QR code on this phone's table

    @task
    def dine(self) -> None:
        menu = self.fetch_menu()  # every scan loads the menu afresh
        if menu is None:
            return  # no menu, no intent: the diner walks out before ordering
        j = self.begin(self.make_intent(menu, table=self.table))
        try:
            self.order_and_pay(j)
            if j.payment is Told.OK and self.jitter.random() < 0.25:
                self.ask_kitchen(j)  # "is my food coming?"
        finally:
            self.finish(j)
