"""Takeaway by app: the menu is cached in the app and refreshed now and then; order, pay in the app."""
from __future__ import annotations

from locust import task

from scenarios.diners.base import DinerUser

MENU_REFRESH_EVERY = 5  # journeys


class Takeaway(DinerUser):
    kind = "takeaway"
    channel = "takeaway"

    @task
    def order(self) -> None:
        menu = self.menu if self.menu is not None and self.intents % MENU_REFRESH_EVERY else self.fetch_menu()
        if menu is None:
            return
        j = self.begin(self.make_intent(menu))
        try:
            self.order_and_pay(j)
        finally:
            self.finish(j)
