"""The payment provider's chaos control, over HTTP: faults.actuators.GatewayControl for the simulated gateway
(local: its direct address and the token it was started with; external: `[gateway]` in the target config).

Every call is bounded and read back: the settings the gateway holds afterwards must be the ones asked for,
else FaultError (never a silent no-op).
"""
from __future__ import annotations

import httpx

from faults.errors import FaultError

TOKEN_HEADER = "X-Chaos-Token"   # stack/payments/chaos.py


class HttpGatewayControl:
    """`POST /admin/chaos` merges settings, `DELETE` clears them; each answer is the settings now held."""

    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, headers={TOKEN_HEADER: token})

    def __repr__(self) -> str:
        return f"HttpGatewayControl({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, body: dict | None = None) -> dict:
        what = f"{method} {self.base_url}/admin/chaos"
        try:
            r = self._http.request(method, "/admin/chaos", json=body)
        except httpx.HTTPError as err:
            raise FaultError(f"payment provider chaos control not answering ({what}: {type(err).__name__}); "
                             "is the gateway up and started with --chaos-token?") from None
        if r.status_code != 200:
            raise FaultError(f"payment provider refused {what}: {r.status_code} {r.text[:200]}")
        return r.json()

    def settings(self) -> dict:
        return self._call("GET")

    def set_chaos(self, **settings: object) -> str:
        held = self._call("POST", dict(settings))
        wrong = {k: held.get(k) for k, v in settings.items() if held.get(k) != v}
        if wrong:
            raise FaultError(f"payment provider did not keep chaos settings: asked {settings}, holds {wrong}")
        return ",".join(f"{k}={v}" for k, v in settings.items())

    def clear_chaos(self) -> str:
        held = self._call("DELETE")
        active = {k: v for k, v in held.items() if v not in (0, 0.0) and k not in ("error_when", "notify_reorder_lag_ms")}
        if active:
            raise FaultError(f"payment provider still holds chaos after clearing: {active}")
        return "cleared"
