"""Validation and pricing of orders: strict types, bounds, unknown/sold-out dishes, menu files."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from stack.common.service import describe_errors
from stack.orders.models import MenuError, OrderIn, PricingError, load_menu, price
from stack.orders.__main__ import DEFAULT_MENU

GOOD = {"channel": "takeaway", "table": None, "items": [{"dish_id": "D01", "qty": 2}, {"dish_id": "D06", "qty": 1}],
        "note": "少辣", "diner": {"name": "Ana", "phone": "1"}}


def parse(body) -> OrderIn:
    return OrderIn.model_validate_json(json.dumps(body))


def test_prices_in_integer_cents_from_the_menu():
    items, total = price(parse(GOOD), load_menu(DEFAULT_MENU))
    assert [(i.dish_id, i.qty, i.unit_cents) for i in items] == [("D01", 2, 1800), ("D06", 1, 350)]
    assert total == 3950 and isinstance(total, int)


def test_fingerprint_ignores_key_order_and_unknown_fields():
    shuffled = {k: GOOD[k] for k in reversed(list(GOOD))} | {"extra": 1}
    assert parse(shuffled).fingerprint() == parse(GOOD).fingerprint()
    assert parse({**GOOD, "note": "x"}).fingerprint() != parse(GOOD).fingerprint()


@pytest.mark.parametrize("change, where", [
    ({"items": [{"dish_id": "D01", "qty": 0}]}, "items.0.qty"),
    ({"items": [{"dish_id": "D01", "qty": -3}]}, "items.0.qty"),
    ({"items": [{"dish_id": "D01", "qty": 51}]}, "items.0.qty"),
    ({"items": [{"dish_id": "D01", "qty": "2"}]}, "items.0.qty"),
    ({"items": [{"dish_id": "D01", "qty": True}]}, "items.0.qty"),
    ({"items": [{"dish_id": "D01", "qty": 1.0}]}, "items.0.qty"),
    ({"items": []}, "items"),
    ({"channel": "fax"}, "channel"),
    ({"table": 12}, "table"),
    ({"note": "n" * 501}, "note"),
])
def test_bad_orders_name_the_field(change, where):
    with pytest.raises(ValidationError) as err:
        parse({**GOOD, **change})
    assert describe_errors(err.value.errors()).startswith(where)


@pytest.mark.parametrize("dish, words", [("NOPE", "unknown dish"), ("D08", "sold out")])
def test_unknown_or_sold_out_dish(dish, words):
    with pytest.raises(PricingError, match=words):
        price(parse({**GOOD, "items": [{"dish_id": dish, "qty": 1}]}), load_menu(DEFAULT_MENU))


def test_bad_menu_files(tmp_path):
    with pytest.raises(MenuError, match="No such file"):
        load_menu(tmp_path / "missing.json")
    bad = tmp_path / "menu.json"
    bad.write_text(json.dumps({"dishes": [{"id": "A", "name": "a", "price_cents": -1}]}))
    with pytest.raises(MenuError, match="price_cents"):
        load_menu(bad)
    bad.write_text(json.dumps({"dishes": [{"id": "A", "name": "a", "price_cents": 1}] * 2}))
    with pytest.raises(MenuError, match="duplicate"):
        load_menu(bad)
