"""Faker-made diners, tables and notes in several locales, menus in the stack's JSON, and seeded RNGs.

Every random choice comes from a `random.Random` handed in (derived from the run seed and the
user's index), so the intents of a run are reproducible; nothing here touches global random state.
"""
from __future__ import annotations

import json
import random
from bisect import bisect
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker

from scenarios.ledger import Invalid, Item

LOCALES = ("zh_CN", "en_US", "ja_JP")
LOCALE_WEIGHTS = (5, 4, 1)
LOCALE_CUM_WEIGHTS = (5, 9, 10)  # what random.choices computes from the weights each call
CART_SIZES, CART_SIZE_CUM_WEIGHTS = (1, 2, 3, 4), (3, 7, 9, 10)
QTYS, QTY_CUM_WEIGHTS = (1, 2, 3), (7, 9, 10)
NOTES: dict[str, tuple[str, ...]] = {
    "zh_CN": ("少辣", "不要香菜", "多放葱", "不要味精", "少盐", "微辣", "打包带走", "米饭多一点"),
    "en_US": ("no onions", "extra spicy", "sauce on the side", "no cilantro", "gluten free please",
              "allergic to peanuts", "well done", "extra napkins"),
    "ja_JP": ("わさび抜き", "大盛りで", "辛さ控えめ", "ネギ抜き"),
}
NOTE_RATE = 0.4
DISHES: tuple[tuple[str, int], ...] = (  # (name, typical price in cents)
    ("宫保鸡丁 Kung Pao Chicken", 4200), ("麻婆豆腐 Mapo Tofu", 3200), ("小笼包 Xiaolongbao", 2800),
    ("扬州炒饭 Yangzhou Fried Rice", 2600), ("牛肉面 Beef Noodle Soup", 3800), ("糖醋里脊 Sweet and Sour Pork", 4400),
    ("鱼香肉丝 Yu Xiang Pork", 3600), ("清炒时蔬 Stir-fried Greens", 2200), ("酸辣汤 Hot and Sour Soup", 1800),
    ("煎饺 Pan-fried Dumplings", 2400), ("北京烤鸭 Peking Duck", 12800), ("珍珠奶茶 Bubble Tea", 1600),
    ("Cheeseburger", 1450), ("Caesar Salad", 1200), ("Margherita Pizza", 1800), ("Fish and Chips", 1650),
    ("Club Sandwich", 1300), ("Lemonade", 450), ("Espresso", 350), ("Chocolate Brownie", 650),
    ("ラーメン Ramen", 1400), ("親子丼 Oyakodon", 1250), ("唐揚げ Karaage", 900), ("抹茶 Matcha", 500),
)
SOLD_OUT_RATE = 0.12


@dataclass(frozen=True)
class Dish:
    id: str
    name: str
    price_cents: int
    sold_out: bool = False


def pick(rng: random.Random, population: tuple, cum_weights: tuple) -> object:
    """`rng.choices(population, cum_weights=cum_weights)[0]`, the very same draw, without its list and checks
    (called a few times per intent inside the load generator)."""
    return population[bisect(cum_weights, rng.random() * (cum_weights[-1] + 0.0), 0, len(population) - 1)]


@dataclass(frozen=True)
class Menu:
    dishes: tuple[Dish, ...]
    # derived once (a menu is immutable): the dishes split by availability, and each dish's cart lines
    _available: tuple[Dish, ...] = field(init=False, repr=False, compare=False)
    _sold_out: tuple[Dish, ...] = field(init=False, repr=False, compare=False)
    _sold_out_ids: frozenset[str] = field(init=False, repr=False, compare=False)
    _items: dict[tuple[str, int], Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_available", tuple(d for d in self.dishes if not d.sold_out))
        object.__setattr__(self, "_sold_out", tuple(d for d in self.dishes if d.sold_out))
        object.__setattr__(self, "_sold_out_ids", frozenset(d.id for d in self._sold_out))
        object.__setattr__(self, "_items", {})

    def available(self) -> tuple[Dish, ...]:
        return self._available

    def sold_out(self) -> tuple[Dish, ...]:
        return self._sold_out

    def sold_out_ids(self) -> frozenset[str]:
        return self._sold_out_ids

    def item(self, dish: Dish, qty: int) -> Item:
        """The cart line `qty` x `dish` at the menu's price (made once per dish and qty: Items are immutable)."""
        key = (dish.id, qty)
        it = self._items.get(key)
        if it is None or it.unit_cents != dish.price_cents:
            it = self._items[key] = Item(dish.id, qty, dish.price_cents)
        return it

    def to_dict(self) -> dict:
        return {"dishes": [{"id": d.id, "name": d.name, "price_cents": d.price_cents, "sold_out": d.sold_out}
                           for d in self.dishes]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def write(self, path: Path) -> Path:
        """Write the menu file the orders service is started with (`--menu FILE`)."""
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, d: dict) -> "Menu":
        """Parse `GET /menu` (or a menu file); a malformed one raises ValueError."""
        try:
            dishes = tuple(Dish(str(x["id"]), str(x["name"]), int(x["price_cents"]), bool(x.get("sold_out", False)))
                           for x in d["dishes"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed menu: {exc!r}") from exc
        return cls(dishes)


@dataclass(frozen=True)
class Diner:
    name: str
    phone: str
    locale: str


@dataclass(frozen=True)
class Intent:
    """One order a diner means to place (and pay): everything the POST /orders body says, and its key."""

    key: str
    kind: str
    channel: str
    table: str | None
    items: tuple[Item, ...]     # unit_cents as the diner read them on the menu
    note: str
    diner: Diner
    card: str                   # tok_visa, or tok_declined (the gateway declines it)
    invalid: tuple[Invalid, ...] = ()   # what was made invalid on purpose (the audit expects a no to these)

    @property
    def expected_total_cents(self) -> int:
        return sum(i.qty * i.unit_cents for i in self.items)

    def order_body(self) -> dict:
        return {
            "channel": self.channel,
            "table": self.table,
            "items": [{"dish_id": i.dish_id, "qty": i.qty} for i in self.items],
            "note": self.note,
            "diner": {"name": self.diner.name, "phone": self.diner.phone},
        }


def derive_rng(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible RNG for (seed, parts...): the same inputs give the same stream in any process."""
    return random.Random(":".join(map(str, (seed, *parts))))  # str seeds hash with sha512, not PYTHONHASHSEED


def make_menu(seed: int, n: int = 16) -> Menu:
    """A menu of `n` dishes (ids D01.., prices in cents), about 12% sold out, at least one dish available."""
    if n < 1:
        raise ValueError("a menu needs at least one dish")
    rng = derive_rng(seed, "menu")
    width = max(2, len(str(n)))
    names = list(DISHES)
    rng.shuffle(names)
    dishes = []
    for i in range(n):
        name, typical = names[i % len(names)]
        if i >= len(names):
            name = f"{name} #{i // len(names) + 1}"
        price = max(100, int(round(typical * rng.uniform(0.85, 1.2) / 50.0)) * 50)
        dishes.append(Dish(f"D{i + 1:0{width}d}", name, price, rng.random() < SOLD_OUT_RATE))
    if all(d.sold_out for d in dishes):
        d = dishes[0]
        dishes[0] = Dish(d.id, d.name, d.price_cents, False)
    return Menu(tuple(dishes))


class DinerFactory:
    """Makes diners and intents. Holds, per locale, pools of Faker names and phone numbers made once from a
    fixed seed; the caller's RNG picks from them. (A Faker `name()` costs 40-200 us, which made Faker the
    largest cost of a journey in the load generator; a pick from a pool costs ~1 us.)"""

    POOL = 256  # names and phone numbers per locale: 65,536 name/phone pairs each

    def __init__(self) -> None:
        self._pools: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def _pool(self, locale: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        pool = self._pools.get(locale)
        if pool is None:  # built without a yield in between: safe across greenlets
            fake = Faker(locale)
            fake.seed_instance(derive_rng(0, "diners", locale).getrandbits(64))
            pool = (tuple(fake.name() for _ in range(self.POOL)), tuple(fake.phone_number() for _ in range(self.POOL)))
            self._pools[locale] = pool
        return pool

    def diner(self, rng: random.Random) -> Diner:
        locale = pick(rng, LOCALES, LOCALE_CUM_WEIGHTS)
        names, phones = self._pool(locale)
        return Diner(rng.choice(names), rng.choice(phones), locale)

    @staticmethod
    def note(rng: random.Random, locale: str) -> str:
        return rng.choice(NOTES[locale]) if rng.random() < NOTE_RATE else ""

    @staticmethod
    def table(rng: random.Random, tables: int = 40) -> str:
        return str(rng.randint(1, tables))

    @staticmethod
    def cart(rng: random.Random, menu: Menu, *, stale_menu_rate: float = 0.0) -> tuple[Item, ...]:
        """1–4 distinct available dishes, mostly qty 1; with `stale_menu_rate` one sold-out dish slips in."""
        available = menu.available()
        if not available:
            raise ValueError("the menu has no available dish")
        picks = rng.sample(available, k=min(len(available), pick(rng, CART_SIZES, CART_SIZE_CUM_WEIGHTS)))
        items = [menu.item(d, pick(rng, QTYS, QTY_CUM_WEIGHTS)) for d in picks]
        sold = menu.sold_out()
        if sold and rng.random() < stale_menu_rate:
            items.append(menu.item(rng.choice(sold), 1))
        return tuple(items)

    def intent(self, rng: random.Random, *, key: str, kind: str, channel: str, menu: Menu,
               table: str | None = None, stale_menu_rate: float = 0.0, declined_rate: float = 0.0) -> Intent:
        diner = self.diner(rng)
        items = self.cart(rng, menu, stale_menu_rate=stale_menu_rate)
        note = self.note(rng, diner.locale)
        card = "tok_declined" if rng.random() < declined_rate else "tok_visa"
        return Intent(key, kind, channel, table, items, note, diner, card, made_invalid(menu, items, card))


def made_invalid(menu: Menu, items: tuple[Item, ...], card: str) -> tuple[Invalid, ...]:
    """What in this cart and card dinerush made invalid on purpose: a dish the menu shows sold out, tok_declined."""
    sold = menu.sold_out_ids()
    stale = bool(sold) and not sold.isdisjoint([i.dish_id for i in items])
    return ((Invalid.STALE_MENU,) if stale else ()) + ((Invalid.DECLINED_CARD,) if card == "tok_declined" else ())
