"""The orders API's client for the payment gateway: one charge call, retried once on a timeout or reset.

aiohttp, not httpx: on the pay path this client is a fifth of the orders API's CPU under httpx (anyio and
httpcore's pool bookkeeping per request); aiohttp's C parser and plain asyncio pool cost a fraction of it."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

import aiohttp
import orjson

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
        self.base_url = base_url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None   # made on first use: it belongs to the running loop

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=60), skip_auto_headers=("User-Agent",))
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def _call(self, method: str, path: str, **kw) -> tuple[int, bytes]:
        """Status and body of one request; aiohttp.ClientError or TimeoutError when it got no full answer."""
        async with self.http.request(method, self.base_url + path, **kw) as r:
            return r.status, await r.read()

    async def charge(self, order_id: str, amount_cents: int, card: str, *, with_key: bool = True,
                     key: str | None = None) -> ChargeResult:
        """Charge once, and once more if the first call timed out or was reset (same key, so it is safe)."""
        headers = {"Content-Type": "application/json"}
        if with_key:
            headers["Idempotency-Key"] = key or charge_key(order_id)
        body = orjson.dumps({"merchant_ref": order_id, "amount_cents": amount_cents, "card": card})
        last = ChargeResult("unknown", reason="not tried")
        for attempt in (1, 2):
            try:
                async with asyncio.timeout(self.timeout):
                    status_code, raw = await self._call("POST", "/charges", data=body, headers=headers)
            except (aiohttp.ClientError, TimeoutError) as err:  # timeout, reset, refused: outcome unknown
                last = ChargeResult("unknown", reason=f"attempt {attempt}: {type(err).__name__}")
                log.info("charge %s %s; %s", order_id, last.reason, "retrying" if attempt == 1 else "giving up")
                continue
            if status_code == 409:  # the same charge is in flight right now
                return ChargeResult("unknown", reason="charge in flight (409)")
            if status_code >= 500 and self.five_xx_declines:   # "the provider said no": but it may have charged
                return ChargeResult("declined", reason=f"gateway {status_code}")
            if status_code >= 500:
                last = ChargeResult("unknown", reason=f"attempt {attempt}: gateway {status_code}")
                continue
            if status_code >= 400:
                text = raw[:200].decode(errors="replace")
                return ChargeResult("declined", reason=f"gateway refused: {status_code} {text}")
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:   # a 2xx without a JSON body: we cannot tell what happened
                last = ChargeResult("unknown", reason=f"attempt {attempt}: gateway {status_code}, body not JSON")
                continue
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
                status_code, raw = await self._call("GET", "/charges", params={"merchant_ref": order_id})
        except (aiohttp.ClientError, TimeoutError) as err:
            log.info("lookup of %s failed: %s", order_id, type(err).__name__)
            return None
        if status_code != 200:
            return None
        try:
            charges = orjson.loads(raw).get("charges", [])
        except orjson.JSONDecodeError:
            return None
        return [Charge(c["charge_id"], c["status"], c["merchant_ref"], int(c["amount_cents"])) for c in charges]
