"""The orders API's client for the payment gateway: one charge call, retried once on a timeout or reset."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

import httpx

log = logging.getLogger("stack.orders.gateway")

Outcome = Literal["captured", "declined", "unknown"]


@dataclass(frozen=True)
class ChargeResult:
    outcome: Outcome
    charge_id: str | None = None
    reason: str = ""
    decline_code: str = ""     # the provider's code for a decline, e.g. card_declined, try_again_later


@dataclass(frozen=True)
class Charge:
    charge_id: str
    status: str
    merchant_ref: str
    amount_cents: int


def charge_key(order_id: str) -> str:
    """The gateway idempotency key of an order's charge: derived from the order, so every retry reuses it."""
    return f"charge-{order_id}"


class GatewayClient:
    """Talks to `POST /charges` and `GET /charges`; every call is bounded by `timeout` seconds in total."""

    def __init__(self, base_url: str, timeout: float, *, five_xx_declines: bool = False):
        self.timeout = timeout
        self.five_xx_declines = five_xx_declines   # the provider-5xx-declines defect
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout),
                                      limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def charge(self, order_id: str, amount_cents: int, card: str, *, with_key: bool = True,
                     key: str | None = None) -> ChargeResult:
        """Charge once, and once more if the first call timed out or was reset (same key, so it is safe)."""
        headers = {"Idempotency-Key": key or charge_key(order_id)} if with_key else {}
        body = {"merchant_ref": order_id, "amount_cents": amount_cents, "card": card}
        last = ChargeResult("unknown", reason="not tried")
        for attempt in (1, 2):
            try:
                async with asyncio.timeout(self.timeout):
                    r = await self.http.post("/charges", json=body, headers=headers)
            except (httpx.TransportError, TimeoutError) as err:  # timeout, reset, refused: outcome unknown
                last = ChargeResult("unknown", reason=f"attempt {attempt}: {type(err).__name__}")
                log.info("charge %s %s; %s", order_id, last.reason, "retrying" if attempt == 1 else "giving up")
                continue
            if r.status_code == 409:  # the same charge is in flight right now
                return ChargeResult("unknown", reason="charge in flight (409)")
            if r.status_code >= 500 and self.five_xx_declines:   # "the provider said no": but it may have charged
                return ChargeResult("declined", reason=f"gateway {r.status_code}")
            if r.status_code >= 500:
                last = ChargeResult("unknown", reason=f"attempt {attempt}: gateway {r.status_code}")
                continue
            if r.status_code >= 400:
                return ChargeResult("declined", reason=f"gateway refused: {r.status_code} {r.text[:200]}")
            data = r.json()
            status = data.get("status")
            if status == "captured":
                return ChargeResult("captured", charge_id=data["charge_id"])
            return ChargeResult("declined", charge_id=data.get("charge_id"), reason=f"card {status}",
                                decline_code=str(data.get("decline_code") or ""))
        return last

    async def find(self, order_id: str) -> list[Charge] | None:
        """The gateway's charges for an order, or None when the gateway could not be asked."""
        try:
            async with asyncio.timeout(self.timeout):
                r = await self.http.get("/charges", params={"merchant_ref": order_id})
        except (httpx.TransportError, TimeoutError) as err:
            log.info("lookup of %s failed: %s", order_id, type(err).__name__)
            return None
        if r.status_code != 200:
            return None
        return [Charge(c["charge_id"], c["status"], c["merchant_ref"], int(c["amount_cents"]))
                for c in r.json().get("charges", [])]
