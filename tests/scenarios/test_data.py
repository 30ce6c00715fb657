"""Faker data and menus: reproducible from a seed, several locales, menus valid for the stack."""
from __future__ import annotations

import json

import pytest

from scenarios.data import NOTES, DinerFactory, Menu, derive_rng, make_menu, pick
from scenarios.ledger import Invalid


def test_make_menu_is_reproducible_and_valid():
    a, b = make_menu(7, 16), make_menu(7, 16)
    assert a == b
    assert make_menu(8, 16) != a
    ids = [d.id for d in a.dishes]
    assert ids == [f"D{i:02d}" for i in range(1, 17)]
    assert all(isinstance(d.price_cents, int) and d.price_cents > 0 and d.price_cents % 50 == 0 for d in a.dishes)
    assert a.available()


def test_menus_have_some_sold_out_dishes_and_never_all():
    menus = [make_menu(seed, 16) for seed in range(20)]
    assert any(m.sold_out() for m in menus)
    assert all(m.available() for m in menus)
    assert make_menu(3, 1).available()  # a one-dish menu is never sold out


def test_menu_json_is_the_stack_format_and_round_trips(tmp_path):
    menu = make_menu(1, 30)
    path = menu.write(tmp_path / "menu.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"dishes"}
    assert set(data["dishes"][0]) == {"id", "name", "price_cents", "sold_out"}
    assert Menu.from_dict(data) == menu
    assert len({d.name for d in menu.dishes}) == 30  # names stay distinct past the dish list


@pytest.mark.parametrize("bad", [{}, {"dishes": [{"id": "D1"}]}, {"dishes": [{"id": "D1", "name": "x", "price_cents": "a"}]}])
def test_malformed_menu_is_a_value_error(bad):
    with pytest.raises(ValueError):
        Menu.from_dict(bad)


def test_make_menu_needs_a_dish():
    with pytest.raises(ValueError):
        make_menu(1, 0)


def _intents(seed: int, n: int = 30):
    f, rng, menu = DinerFactory(), derive_rng(seed, "intents", 0, "dine_in", 0), make_menu(1, 16)
    return [f.intent(rng, key=f"k{i}", kind="dine_in", channel="dine_in", menu=menu, table=f.table(rng))
            for i in range(n)]


def test_intents_are_reproducible_from_the_seed():
    assert _intents(42) == _intents(42)
    assert _intents(42) != _intents(43)


def test_pick_draws_exactly_what_random_choices_draws():
    a, b = derive_rng(5, "pick"), derive_rng(5, "pick")
    for population, cum in (((1, 2, 3, 4), (3, 7, 9, 10)), (("x", "y", "z"), (5, 9, 10)), (("only",), (1,))):
        for _ in range(2000):
            assert pick(a, population, cum) == b.choices(population, cum_weights=cum)[0]


def test_menu_lines_are_made_once_and_carry_the_menu_price():
    menu = make_menu(2, 16)
    d = menu.available()[0]
    assert menu.available() is menu.available() and set(menu.available()) | set(menu.sold_out()) == set(menu.dishes)
    line = menu.item(d, 2)
    assert (line.dish_id, line.qty, line.unit_cents) == (d.id, 2, d.price_cents) and menu.item(d, 2) is line
    assert Menu(menu.dishes) == menu  # the derived caches take no part in equality


def test_derived_rngs_are_independent_streams():
    assert derive_rng(1, "a").random() != derive_rng(1, "b").random()
    assert derive_rng(1, "a", 2).random() == derive_rng(1, "a", 2).random()


def test_diners_come_from_several_locales_with_local_notes():
    f, rng = DinerFactory(), derive_rng(5, "x")
    diners = [f.diner(rng) for _ in range(300)]
    locales = {d.locale for d in diners}
    assert {"zh_CN", "en_US"} <= locales
    assert all(d.name and d.phone for d in diners)
    notes = {f.note(rng, loc) for loc in ("zh_CN", "en_US") for _ in range(50)}
    assert notes & set(NOTES["zh_CN"]) and notes & set(NOTES["en_US"])
    assert "少辣" in NOTES["zh_CN"] and "no onions" in NOTES["en_US"]


def test_carts_use_available_dishes_unless_the_menu_is_stale():
    f, menu = DinerFactory(), make_menu(2, 16)
    sold = {d.id for d in menu.sold_out()}
    assert sold, "seed 2 has sold-out dishes"
    rng = derive_rng(1, "cart")
    for _ in range(200):
        items = f.cart(rng, menu)
        assert 1 <= len(items) <= 4 and not {i.dish_id for i in items} & sold
        assert len({i.dish_id for i in items}) == len(items)
        assert all(1 <= i.qty <= 3 for i in items)
    stale = f.cart(rng, menu, stale_menu_rate=1.0)
    assert {i.dish_id for i in stale} & sold


def test_intent_body_and_total_follow_the_contract():
    f, menu = DinerFactory(), make_menu(1, 16)
    it = f.intent(derive_rng(1), key="K1", kind="pos", channel="pos", menu=menu, declined_rate=1.0)
    body = it.order_body()
    assert body["channel"] == "pos" and body["table"] is None
    assert body["items"] == [{"dish_id": i.dish_id, "qty": i.qty} for i in it.items]
    assert set(body["diner"]) == {"name", "phone"}
    prices = {d.id: d.price_cents for d in menu.dishes}
    assert it.expected_total_cents == sum(i.qty * prices[i.dish_id] for i in it.items)
    assert it.card == "tok_declined"


def test_intents_record_what_was_made_invalid_on_purpose():
    f, menu = DinerFactory(), make_menu(2, 16)
    sold = {d.id for d in menu.sold_out()}
    rng = derive_rng(5, "invalid")
    stale = f.intent(rng, key="K1", kind="dine_in", channel="dine_in", menu=menu, stale_menu_rate=1.0)
    assert stale.invalid == (Invalid.STALE_MENU,) and {i.dish_id for i in stale.items} & sold
    both = f.intent(rng, key="K2", kind="dine_in", channel="dine_in", menu=menu, stale_menu_rate=1.0,
                    declined_rate=1.0)
    assert both.invalid == (Invalid.STALE_MENU, Invalid.DECLINED_CARD)
    valid = f.intent(rng, key="K3", kind="dine_in", channel="dine_in", menu=menu)
    assert valid.invalid == () and valid.card == "tok_visa"
