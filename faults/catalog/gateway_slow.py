"""gateway_slow: the payment gateway is slow but still answers within the orders API's timeout."""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, LinkToxic, Plan, meta
from faults.client import ToxicSpec
from faults.errors import ParamError

LINK = "payment_gateway"


@dataclass(frozen=True)
class Params:
    delay_ms: int = field(default=800, metadata=meta("added delay of the gateway's answer", min=1, max=600000))
    jitter_ms: int = field(default=300, metadata=meta("+/- random part of the delay", min=0, max=600000))
    client_timeout_s: float = field(default=2.0, metadata=meta(
        "the orders API's --gateway-timeout; delay_ms + jitter_ms must stay below it", min=0.0, min_exclusive=True, max=600.0))


def plan(p: Params) -> Plan:
    return Plan(toxics=(LinkToxic(LINK, ToxicSpec("latency", {"latency": p.delay_ms, "jitter": p.jitter_ms})),))


def check(p: Params) -> None:
    if p.delay_ms + p.jitter_ms >= p.client_timeout_s * 1000:
        raise ParamError(f"gateway_slow: delay_ms + jitter_ms = {p.delay_ms + p.jitter_ms} reaches the client timeout "
                         f"{p.client_timeout_s:g} s; lower them or use gateway_timeout")
    if p.jitter_ms > p.delay_ms:
        raise ParamError(f"gateway_slow: jitter_ms {p.jitter_ms} exceeds delay_ms {p.delay_ms}; keep jitter <= delay")


FAULT = Fault(
    name="gateway_slow",
    description="The payment gateway answers slowly, but within the orders API's client timeout.",
    links=(LINK,), params_type=Params, plan_fn=plan, check_fn=check,
    variants=({},),
)
