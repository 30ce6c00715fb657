"""weak_network: a diner's bad connection on diner_edge, from Chrome DevTools' throttling presets.

Mapping to Toxiproxy:
- DevTools latency is a round-trip minimum added to each request. Toxiproxy's `latency` toxic delays
  each chunk in one direction, so we split the RTT: half on `upstream` (request) and the rest on
  `downstream` (answer); one request/answer exchange then pays the full RTT. (Toxiproxy takes whole
  milliseconds: 562.5 ms → 281 up + 282 down.) The TCP handshake itself is not delayed by Toxiproxy.
- DevTools throughput is kbit/s; Toxiproxy's `bandwidth` rate is KB/s with 1 KB = 1000 bytes
  (it sleeps len/rate ms per chunk), so rate = kbit/s / 8, rounded down to an integer.
  Download → `downstream` (orders API → diner), upload → `upstream`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, LinkToxic, Plan, meta
from faults.client import ToxicSpec
from faults.errors import ParamError

LINK = "diner_edge"


@dataclass(frozen=True)
class Throttle:
    down_kbps: float
    up_kbps: float
    rtt_ms: float


# Chrome DevTools network throttling presets (Network panel).
PRESETS: dict[str, Throttle] = {
    "3g": Throttle(down_kbps=400, up_kbps=400, rtt_ms=2000),
    "slow-4g": Throttle(down_kbps=1440, up_kbps=675, rtt_ms=562.5),
    "fast-4g": Throttle(down_kbps=8100, up_kbps=1350, rtt_ms=165),
}
CHOICES = (*PRESETS, "flaky-wifi", "offline")


@dataclass(frozen=True)
class Params:
    preset: str = field(default="3g", metadata=meta("network profile", choices=CHOICES))
    latency_ms: int = field(default=60, metadata=meta("flaky-wifi only: base one-way delay of answers", min=0, max=60000))
    jitter_ms: int = field(default=250, metadata=meta("flaky-wifi only: +/- random delay per chunk", min=0, max=60000))
    reset_share: float = field(default=0.1, metadata=meta(
        "flaky-wifi only: share of connections reset by peer (Toxiproxy toxicity)", min=0.0, max=1.0))
    reset_after_ms: int = field(default=300, metadata=meta(
        "flaky-wifi only: a chosen connection is reset this long after the toxic meets it", min=0, max=600000))


def kbps_to_rate(kbps: float) -> int:
    """kbit/s → Toxiproxy bandwidth rate in KB/s (1000 bytes)."""
    return max(1, int(kbps / 8))


def throttle_toxics(t: Throttle) -> tuple[LinkToxic, ...]:
    rtt = int(t.rtt_ms + 0.5)  # half-up: 562.5 → 563
    up_ms = rtt // 2
    return (
        LinkToxic(LINK, ToxicSpec("latency", {"latency": up_ms, "jitter": 0}, stream="upstream")),
        LinkToxic(LINK, ToxicSpec("latency", {"latency": rtt - up_ms, "jitter": 0}, stream="downstream")),
        LinkToxic(LINK, ToxicSpec("bandwidth", {"rate": kbps_to_rate(t.up_kbps)}, stream="upstream")),
        LinkToxic(LINK, ToxicSpec("bandwidth", {"rate": kbps_to_rate(t.down_kbps)}, stream="downstream")),
    )


def plan(p: Params) -> Plan:
    if p.preset == "offline":
        return Plan(down=(LINK,))
    if p.preset == "flaky-wifi":
        return Plan(toxics=(
            LinkToxic(LINK, ToxicSpec("latency", {"latency": p.latency_ms, "jitter": p.jitter_ms})),
            LinkToxic(LINK, ToxicSpec("reset_peer", {"timeout": p.reset_after_ms}, toxicity=p.reset_share)),
        ))
    return Plan(toxics=throttle_toxics(PRESETS[p.preset]))


def check(p: Params) -> None:
    if p.preset == "flaky-wifi" and p.jitter_ms > 0 and p.latency_ms == 0:
        raise ParamError("weak_network flaky-wifi: jitter_ms needs latency_ms > 0 (Toxiproxy never delays below 0)")


FAULT = Fault(
    name="weak_network",
    description="A diner's weak network on diner_edge: DevTools 3g/slow-4g/fast-4g, flaky-wifi, or offline.",
    links=(LINK,), params_type=Params, plan_fn=plan, check_fn=check,
    notes="RTT split half upstream / half downstream; kbit/s / 8 = Toxiproxy KB/s.",
    variants=({"preset": "3g"}, {"preset": "slow-4g"}, {"preset": "fast-4g"}, {"preset": "flaky-wifi"}, {"preset": "offline"}),
)
