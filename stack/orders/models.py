"""Request validation and pricing for the orders API: strict types, bounded sizes, integer cents."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_BODY_BYTES = 64 * 1024
MAX_QTY = 50


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class Diner(Strict):
    name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=64)


class ItemIn(Strict):
    dish_id: str = Field(min_length=1, max_length=64)
    qty: int = Field(ge=1, le=MAX_QTY)


class OrderIn(Strict):
    channel: Literal["dine_in", "takeaway", "pos"]
    table: str | None = Field(default=None, max_length=32)
    items: list[ItemIn] = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=500)
    diner: Diner | None = None

    def fingerprint(self) -> str:
        """A hash of the request as understood (key order and ignored fields do not matter)."""
        canon = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canon.encode()).hexdigest()


class PayIn(Strict):
    card: str = Field(min_length=1, max_length=64)


class NotifyIn(Strict):
    charge_id: str = Field(min_length=1, max_length=128)
    merchant_ref: str = Field(min_length=1, max_length=128)
    status: Literal["captured", "declined"]
    amount_cents: int = Field(ge=0)


@dataclass(frozen=True)
class Dish:
    id: str
    name: str
    price_cents: int
    sold_out: bool = False


@dataclass(frozen=True)
class Menu:
    dishes: tuple[Dish, ...]

    def by_id(self) -> dict[str, Dish]:
        return {d.id: d for d in self.dishes}

    def to_json(self) -> dict:
        return {"dishes": [d.__dict__ for d in self.dishes]}


class _DishIn(Strict):
    id: str = Field(min_length=1, max_length=64)
    name: str
    price_cents: int = Field(ge=0)
    sold_out: bool = False


class _MenuIn(Strict):
    dishes: list[_DishIn] = Field(min_length=1)


class MenuError(ValueError):
    """The menu file is missing or malformed."""


def load_menu(path: Path) -> Menu:
    try:
        raw = _MenuIn.model_validate_json(path.read_bytes())
    except OSError as err:
        raise MenuError(f"menu file {path}: {err.strerror}") from None
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise MenuError(f"menu file {path}: {loc}: {first['msg']}") from None
    ids = [d.id for d in raw.dishes]
    if len(set(ids)) != len(ids):
        raise MenuError(f"menu file {path}: duplicate dish ids")
    return Menu(tuple(Dish(d.id, d.name, d.price_cents, d.sold_out) for d in raw.dishes))


@dataclass(frozen=True)
class PricedItem:
    dish_id: str
    qty: int
    unit_cents: int


class PricingError(ValueError):
    """An order that names an unknown or sold-out dish."""


def price(order: OrderIn, menu: Menu) -> tuple[tuple[PricedItem, ...], int]:
    """The order's items with their unit prices, and the total in cents; unknown/sold-out dish → PricingError."""
    dishes = menu.by_id()
    priced = []
    for i, item in enumerate(order.items):
        dish = dishes.get(item.dish_id)
        if dish is None:
            raise PricingError(f"items.{i}.dish_id: unknown dish {item.dish_id!r}")
        if dish.sold_out:
            raise PricingError(f"items.{i}.dish_id: dish {item.dish_id!r} is sold out")
        priced.append(PricedItem(dish.id, item.qty, dish.price_cents))
    return tuple(priced), sum(p.qty * p.unit_cents for p in priced)
