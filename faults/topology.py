"""The named links of the stack: every hop that can fail in production goes through a Toxiproxy proxy."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    name: str          # the Toxiproxy proxy name
    client: str        # who dials through it
    upstream: str      # the component it forwards to (a key of the runtime's endpoints)
    description: str


LINKS: tuple[Link, ...] = (
    Link("diner_edge", "diners", "orders_api", "diners' phones, tablets and POS to the orders API"),
    Link("orders_db", "orders_api", "postgres", "orders API, relay and reconciler to PostgreSQL"),
    Link("payment_gateway", "orders_api", "gateway", "orders API to the payment gateway"),
    Link("payment_notify", "gateway", "orders_api", "gateway callbacks to the orders API"),
    Link("kitchen_publish", "relay", "rabbitmq", "outbox relay to RabbitMQ"),
    Link("kitchen_consume", "kitchen", "rabbitmq", "RabbitMQ to the kitchen display"),
    Link("kitchen_db", "kitchen", "postgres", "kitchen display to PostgreSQL (kitchen database)"),
    Link("gateway_db", "gateway", "postgres", "payment gateway to PostgreSQL (gateway database)"),
)

LINKS_BY_NAME: dict[str, Link] = {link.name: link for link in LINKS}


def link(name: str) -> Link:
    try:
        return LINKS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown link {name!r}; links: {', '.join(LINKS_BY_NAME)}") from None
