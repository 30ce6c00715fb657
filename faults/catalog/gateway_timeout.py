"""gateway_timeout: the payment gateway answers after the orders API has given up.

The request still reaches the gateway, which captures the charge; only the answer (downstream on
payment_gateway) is late (`latency` form) or never comes (`timeout` form: Toxiproxy `timeout` toxic
on downstream, which swallows the answer and closes after `timeout_ms`, or holds it forever with 0).
The orders API must then mark the order PAYMENT_PENDING and let the reconciler ask the gateway.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, LinkToxic, Plan, meta
from faults.client import ToxicSpec
from faults.errors import ParamError

LINK = "payment_gateway"


@dataclass(frozen=True)
class Params:
    form: str = field(default="latency", metadata=meta("late answer or swallowed answer", choices=("latency", "timeout")))
    delay_ms: int = field(default=3500, metadata=meta("latency form: delay of the gateway's answer", min=1, max=600000))
    timeout_ms: int = field(default=0, metadata=meta(
        "timeout form: close the connection after this long (0 = hold it open until healed)", min=0, max=600000))
    client_timeout_s: float = field(default=2.0, metadata=meta(
        "the orders API's --gateway-timeout; delay_ms must exceed it", min=0.0, min_exclusive=True, max=600.0))


def plan(p: Params) -> Plan:
    if p.form == "timeout":
        return Plan(toxics=(LinkToxic(LINK, ToxicSpec("timeout", {"timeout": p.timeout_ms})),))
    return Plan(toxics=(LinkToxic(LINK, ToxicSpec("latency", {"latency": p.delay_ms, "jitter": 0})),))


def check(p: Params) -> None:
    limit = int(p.client_timeout_s * 1000)
    if p.form == "latency" and p.delay_ms <= limit:
        raise ParamError(f"gateway_timeout: delay_ms {p.delay_ms} does not exceed the client timeout "
                         f"{p.client_timeout_s:g} s; raise delay_ms above {limit} or use gateway_slow")
    if p.form == "timeout" and 0 < p.timeout_ms <= limit:
        raise ParamError(f"gateway_timeout: timeout_ms {p.timeout_ms} closes before the client timeout "
                         f"{p.client_timeout_s:g} s; use 0 or more than {limit}")


FAULT = Fault(
    name="gateway_timeout",
    description="The gateway's answer comes after the orders API's client timeout (charge captured, answer lost).",
    links=(LINK,), params_type=Params, plan_fn=plan, check_fn=check,
    variants=({"form": "latency"}, {"form": "timeout"}),
)
