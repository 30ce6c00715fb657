"""The diner half of the contract inside real Locust, with fake adapters (no stack, no HTTP): dinerush's retries
around the adapter's readings, and the optional kitchen step landing in the ledger."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts real Locust processes (a few seconds each, no stack)

FAKES = '''
from scenarios.adapter import DinerAdapter, Reading, Told
from scenarios.data import Dish, Menu

MENU = Menu((Dish("D1", "Dan Dan Noodles", 1150), Dish("D2", "Jasmine Tea", 320)))


class Kitchen(DinerAdapter):
    has_kitchen = True

    def menu(self):
        return MENU

    def place(self, intent):
        return Reading(Told.OK, False, "fake 201", order_id="o-" + intent.key)

    def pay(self, intent, order_id):
        if intent.card == "tok_visa":
            return Reading(Told.OK, False, "fake PAID", status="PAID")
        return Reading(Told.FAIL, False, "fake declined", status="PAYMENT_FAILED")

    def status(self, order_id):
        return Reading(Told.OK, False, "read PAID", status="PAID")

    def kitchen(self, order_id):
        return Reading(Told.OK, False, "on the kitchen screen")


class Token(Kitchen):
    """Every place times out; the API has an idempotency token, so dinerush retries on the same key."""
    has_kitchen = False

    def place(self, intent):
        return Reading(Told.UNKNOWN, True, "timeout")


class NoToken(Token):
    """The same, without an idempotency token: dinerush must never retry a place."""
    idempotent_place = False
'''


def run(tmp_path: Path, run_locust, cls: str, mix: str):
    adapter = tmp_path / "fakes.py"
    adapter.write_text(FAKES)
    r = run_locust(["--headless", "--host", "http://127.0.0.1:9", "-u", "2", "-r", "2", "-t", "4s",
                    "--dinerush-mix", mix, "--dinerush-think", "0.05", "--dinerush-adapter", f"{adapter}:{cls}",
                    "--stop-timeout", "10"], tmp_path / "ledger.jsonl", timeout=90)
    assert r.returncode == 0, r.output[-2000:]
    entries = r.entries()
    assert entries, r.output[-2000:]
    return entries


def test_the_kitchen_step_is_asked_and_recorded(tmp_path, run_locust):
    entries = run(tmp_path, run_locust, "Kitchen", "dine_in=1")
    assert all(e.order.value == "ok" for e in entries)
    asked = [e for e in entries if "kitchen" in e.extra]
    assert asked and all(e.extra["kitchen"] == "ok" for e in asked)


def test_an_unknown_place_is_retried_on_the_same_key_when_the_api_has_a_token(tmp_path, run_locust):
    entries = run(tmp_path, run_locust, "Token", "takeaway=1")
    assert all(e.order.value == "unknown" for e in entries)
    assert max(e.order_attempts for e in entries) == 4    # takeaway's place policy: 4 attempts


def test_an_unknown_place_is_never_retried_without_a_token(tmp_path, run_locust):
    entries = run(tmp_path, run_locust, "NoToken", "takeaway=1")
    assert all(e.order.value == "unknown" for e in entries)
    assert {e.order_attempts for e in entries} == {1}
