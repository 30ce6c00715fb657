"""A strict client for one Toxiproxy server (HTTP API of Toxiproxy 2.x).

Why not `toxiproxy-python` alone: its `APIConsumer` keeps ONE global host/port (two servers, or a
server on a free port, need a process-wide mutation), it maps only 400/404/409 to exceptions and
returns silently on 403/5xx, it cannot update a toxic, `add_toxic` discards the server's answer and
`reset` returns True on any status. So this client does its own HTTP (httpx, explicit base URL, a
timeout) and raises `ToxiproxyError` on every non-2xx answer and on a dead server. It still uses the
package where it helps: its `Toxic` type fills a toxic's defaults (stream `downstream`, toxicity 1.0,
name `<type>_<stream>`, the server's own convention) and its exception types are bases of ours
(`ToxiproxyConflict` is a `toxiproxy.exceptions.ProxyExists`, and so on).

Every change is read back from the server; a difference raises `ToxiproxyError`. No silent no-ops.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx
from toxiproxy.toxic import Toxic

from faults.errors import (ToxiproxyBadRequest, ToxiproxyConflict, ToxiproxyError, ToxiproxyNotFound,
                           ToxiproxyUnresponsive)

Attr = int | float
STREAMS = ("upstream", "downstream")


@dataclass(frozen=True)
class ToxicSpec:
    """What we ask for. `upstream` = client → server bytes, `downstream` = server → client bytes."""

    type: str
    attributes: dict[str, Attr] = field(default_factory=dict)
    stream: str = "downstream"
    toxicity: float = 1.0
    name: str = ""   # "" → "<type>_<stream>"

    def payload(self) -> dict[str, object]:
        toxic = Toxic(type=self.type, stream=self.stream, toxicity=self.toxicity,
                      attributes=dict(self.attributes), **({"name": self.name} if self.name else {}))
        return {"name": toxic.name, "type": toxic.type, "stream": toxic.stream,
                "toxicity": toxic.toxicity, "attributes": toxic.attributes}

    @property
    def resolved_name(self) -> str:
        return str(self.payload()["name"])


@dataclass(frozen=True)
class ToxicState:
    """A toxic as the server holds it (attributes include the server's defaults, e.g. jitter 0)."""

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, Attr]

    @classmethod
    def from_json(cls, data: dict) -> "ToxicState":
        return cls(name=data["name"], type=data["type"], stream=data["stream"],
                   toxicity=float(data["toxicity"]), attributes=dict(data.get("attributes") or {}))

    def matches(self, spec: ToxicSpec) -> bool:
        want = spec.payload()
        return (self.name == want["name"] and self.type == want["type"] and self.stream == want["stream"]
                and abs(self.toxicity - float(want["toxicity"])) < 1e-9
                and all(self.attributes.get(k) == v for k, v in dict(want["attributes"]).items()))


@dataclass(frozen=True)
class ProxyState:
    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[ToxicState, ...] = ()

    @classmethod
    def from_json(cls, data: dict) -> "ProxyState":
        return cls(name=data["name"], listen=data["listen"], upstream=data["upstream"],
                   enabled=bool(data["enabled"]),
                   toxics=tuple(ToxicState.from_json(t) for t in data.get("toxics") or ()))

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    def toxic(self, name: str) -> ToxicState | None:
        return next((t for t in self.toxics if t.name == name), None)


class ToxiproxyClient:
    """One Toxiproxy server at `base_url` (e.g. http://127.0.0.1:8474). Thread-compatible, not shared state.

    Every call is bounded by `timeout` seconds (connect, write, read); a server that takes the connection
    but does not answer in time raises ToxiproxyUnresponsive (a wedged API), one that refuses ToxiproxyError."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ToxiproxyClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ToxiproxyClient({self.base_url!r})"

    # -- HTTP ---------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict | None = None) -> object:
        what = f"{method} {self.base_url}{path}"
        try:
            resp = self._http.request(method, path, json=body)
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout) as err:
            raise ToxiproxyUnresponsive(f"Toxiproxy at {self.base_url} stopped answering ({what}: timed out "
                                        f"after {self._http.timeout.read:g} s: {type(err).__name__})") from None
        except httpx.HTTPError as err:
            raise ToxiproxyError(f"Toxiproxy at {self.base_url} not answering ({what}: {err}); "
                                 "is toxiproxy-server running on that port?") from None
        if not 200 <= resp.status_code < 300:
            try:
                detail = resp.json().get("error") or resp.text
            except (ValueError, AttributeError):
                detail = resp.text.strip()
            kind = {400: ToxiproxyBadRequest, 404: ToxiproxyNotFound, 409: ToxiproxyConflict}.get(
                resp.status_code, ToxiproxyError)
            raise kind(f"Toxiproxy refused {what} {json.dumps(body) if body else ''}: "
                       f"{resp.status_code} {detail}".replace("  ", " "), status=resp.status_code)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise ToxiproxyError(f"Toxiproxy answered {what} with non-JSON: {resp.text[:200]!r}") from None

    @staticmethod
    def _mismatch(what: str, want: object, got: object) -> ToxiproxyError:
        return ToxiproxyError(f"Toxiproxy did not keep {what}: asked {want}, server holds {got}")

    # -- reads --------------------------------------------------------------------------------
    def version(self) -> str:
        data = self._call("GET", "/version")
        return str(data.get("version")) if isinstance(data, dict) else str(data)

    def proxies(self) -> dict[str, ProxyState]:
        data = self._call("GET", "/proxies")
        return {name: ProxyState.from_json(p) for name, p in dict(data or {}).items()}

    def proxy(self, name: str) -> ProxyState:
        return ProxyState.from_json(self._call("GET", f"/proxies/{name}"))

    def toxics(self, proxy: str) -> list[ToxicState]:
        return [ToxicState.from_json(t) for t in self._call("GET", f"/proxies/{proxy}/toxics") or ()]

    # -- changes (each read back) -------------------------------------------------------------
    def create_proxy(self, name: str, listen: str, upstream: str, enabled: bool = True) -> ProxyState:
        """`listen` may use port 0 (the server picks one; read `ProxyState.listen`)."""
        self._call("POST", "/proxies", {"name": name, "listen": listen, "upstream": upstream, "enabled": enabled})
        got = self.proxy(name)
        if got.upstream != upstream or got.enabled != enabled or (
                not listen.endswith(":0") and got.listen != listen):
            raise self._mismatch(f"proxy {name}", (listen, upstream, enabled), (got.listen, got.upstream, got.enabled))
        return got

    def set_enabled(self, name: str, enabled: bool) -> ProxyState:
        self._call("POST", f"/proxies/{name}", {"enabled": enabled})
        got = self.proxy(name)
        if got.enabled != enabled:
            raise self._mismatch(f"proxy {name} enabled", enabled, got.enabled)
        return got

    def add_toxic(self, proxy: str, spec: ToxicSpec) -> ToxicState:
        self._call("POST", f"/proxies/{proxy}/toxics", spec.payload())
        return self._check_toxic(proxy, spec)

    def update_toxic(self, proxy: str, spec: ToxicSpec) -> ToxicState:
        """Change an existing toxic (named by `spec.resolved_name`) in place: attributes and toxicity."""
        body = {"attributes": dict(spec.attributes), "toxicity": spec.toxicity}
        self._call("POST", f"/proxies/{proxy}/toxics/{spec.resolved_name}", body)
        return self._check_toxic(proxy, spec)

    def _check_toxic(self, proxy: str, spec: ToxicSpec) -> ToxicState:
        got = self.proxy(proxy).toxic(spec.resolved_name)
        if got is None or not got.matches(spec):
            raise self._mismatch(f"toxic {spec.resolved_name} on {proxy}", spec.payload(), got)
        return got

    def remove_toxic(self, proxy: str, toxic_name: str) -> None:
        self._call("DELETE", f"/proxies/{proxy}/toxics/{toxic_name}")
        if self.proxy(proxy).toxic(toxic_name) is not None:
            raise self._mismatch(f"removal of toxic {toxic_name} on {proxy}", "gone", "still there")

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", f"/proxies/{name}")
        if name in self.proxies():
            raise self._mismatch(f"deletion of proxy {name}", "gone", "still there")

    def reset(self) -> dict[str, ProxyState]:
        """POST /reset: every proxy enabled, every toxic removed; read back and checked."""
        self._call("POST", "/reset")
        got = self.proxies()
        bad = [p.name for p in got.values() if not p.enabled or p.toxics]
        if bad:
            raise self._mismatch("reset", "all proxies enabled without toxics", f"not so for {', '.join(bad)}")
        return got
