"""kitchen_drop: the kitchen's messaging breaks, on the publish side (relay → RabbitMQ, link
kitchen_publish), the consume side (RabbitMQ → KDS, link kitchen_consume) or both.

Forms (Toxiproxy `upstream` = client → broker, `downstream` = broker → client):
- reset: `reset_peer` — every connection is reset (after `reset_after_ms`), mid-stream for live ones.
- cut: `limit_data` — each connection is closed after `cut_bytes` bytes in the data direction
  (publish: upstream, the relay's publishes; consume: downstream, the broker's deliveries), so a
  message in flight is cut in half; the AMQP handshake (~1 KB) fits below the default.
- blackhole: `timeout` with timeout 0 on `upstream` — bytes to the broker vanish, the TCP connection
  stays up: on consume the KDS's acks never arrive, on publish the publishes (and confirms) hang.
- down: the proxy is disabled: open connections drop, new ones are refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, LinkToxic, Plan, meta
from faults.client import ToxicSpec

SIDES = {"publish": ("kitchen_publish",), "consume": ("kitchen_consume",), "both": ("kitchen_publish", "kitchen_consume")}
DATA_STREAM = {"kitchen_publish": "upstream", "kitchen_consume": "downstream"}


@dataclass(frozen=True)
class Params:
    form: str = field(default="reset", metadata=meta("how the link breaks", choices=("reset", "cut", "blackhole", "down")))
    side: str = field(default="consume", metadata=meta("which link", choices=tuple(SIDES)))
    reset_after_ms: int = field(default=0, metadata=meta("reset form: reset each connection after this long", min=0, max=600000))
    cut_bytes: int = field(default=4096, metadata=meta("cut form: bytes let through per connection before it closes", min=1, max=1_000_000_000))


def plan(p: Params) -> Plan:
    links = SIDES[p.side]
    if p.form == "down":
        return Plan(down=links)
    specs = []
    for link in links:
        if p.form == "reset":
            spec = ToxicSpec("reset_peer", {"timeout": p.reset_after_ms})
        elif p.form == "cut":
            spec = ToxicSpec("limit_data", {"bytes": p.cut_bytes}, stream=DATA_STREAM[link])
        else:
            spec = ToxicSpec("timeout", {"timeout": 0}, stream="upstream")
        specs.append(LinkToxic(link, spec))
    return Plan(toxics=tuple(specs))


FAULT = Fault(
    name="kitchen_drop",
    description="Kitchen messaging breaks: reset, cut after N bytes, black hole or link down; publish/consume/both.",
    links=("kitchen_publish", "kitchen_consume"), params_type=Params, plan_fn=plan,
    variants=tuple({"form": f, "side": s} for f in ("reset", "cut", "blackhole", "down") for s in ("publish", "consume")),
)
