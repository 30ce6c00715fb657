"""The kitchen's own service level: paid → on the KDS (ticket.received_at - order.paid_at), judged outside fault
windows as an SLO, and the time to recover after each fault heals (a figure per window, not pass/fail)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from harness.audit.index import Index
from harness.report.locust_csv import StatsHistory
from harness.report.model import FaultWindow

if TYPE_CHECKING:
    from harness.report.slo import SLOConfig

RECOVERED = "recovered"
NEVER = "never"              # still over a limit when the load ended (or the next fault began)
NEVER_HEALED = "never healed"
UNMEASURED = "unmeasured"    # nothing to judge between the heal and the next fault


@dataclass(frozen=True, eq=False)
class KitchenLags:
    """Paid orders that reached the KDS, sorted by payment: epoch seconds paid and first received."""

    paid: np.ndarray
    received: np.ndarray

    @classmethod
    def of(cls, pairs: Iterable[tuple[float, float]]) -> "KitchenLags":
        arr = np.array(list(pairs), dtype=float).reshape(-1, 2)
        return cls.sorted(arr[:, 0], arr[:, 1])

    @classmethod
    def sorted(cls, paid: np.ndarray, received: np.ndarray) -> "KitchenLags":
        """Sorted by payment, then receipt (what sorting the pairs gives, at numpy speed: 1M orders is the norm)."""
        order = np.lexsort((received, paid))
        return cls(paid[order], received[order])

    @classmethod
    def from_index(cls, ix: Index) -> "KitchenLags":
        """One pair per paid order with a ticket (its first receipt; a ticket never received is `lost`'s)."""
        first: dict[str, tuple[float, float]] = {}
        tickets = ix.reads.tickets if ix.reads is not None else ()
        for t, o in zip(tickets, ix.ticket_order):
            if o is None or o.paid_at is None:
                continue
            prev = first.get(o.order_id)
            if prev is None or t.received_at < prev[1]:
                first[o.order_id] = (o.paid_at, t.received_at)
        arr = np.array(list(first.values()), dtype=float).reshape(-1, 2)
        clean = ix.clean   # the columnar fast path's clean intents: one ticket each, not in the Index
        if clean is not None:
            arr = np.concatenate([arr, np.column_stack([clean.kitchen_paid, clean.kitchen_received])])
        return cls.sorted(arr[:, 0], arr[:, 1])

    @property
    def lag_ms(self) -> np.ndarray:
        return (self.received - self.paid) * 1000.0

    def outside(self, faults: Sequence[FaultWindow], t0: float, settle_s: float = 0.0) -> np.ndarray:
        """Orders paid and received with no fault window in between, nor paid within `settle_s` after one healed
        (the kitchen SLO judges only these; the backlog a fault leaves is its recovery figure, as Locust's 10 s
        rolling window keeps the place and pay SLOs off the seconds after a heal)."""
        keep = np.ones(self.paid.shape, dtype=bool)
        for w in faults:
            end = math.inf if w.end_s is None else t0 + w.end_s + settle_s
            keep &= ~((self.paid <= end) & (self.received >= t0 + w.start_s))
        return keep


@dataclass(frozen=True)
class Recovery:
    """Seconds from a fault's heal until place latency and kitchen lag were back under their limits and stayed
    there until the next fault began or the load ended."""

    fault: str
    start_s: float
    end_s: float | None
    status: str                      # recovered | never | never healed | unmeasured
    recovered_s: float | None = None
    place_s: float | None = None     # place p95 back under its limit (None: never, or nothing measured)
    kitchen_s: float | None = None   # every paid order on the KDS within the kitchen limit again
    note: str = ""

    @property
    def text(self) -> str:
        return f"{self.recovered_s:.1f} s" if self.status == RECOVERED and self.recovered_s is not None \
            else self.status

    @property
    def line(self) -> str:
        """"recovery after kitchen_drop 56–61 s: 2.0 s (note)"."""
        when = f"{self.start_s:.0f}–{self.end_s:.0f} s" if self.end_s is not None else f"{self.start_s:.0f} s–"
        return f"recovery after {self.fault} {when}: {self.text}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class _Back:
    """One limit's recovery: seconds after the heal, or never (measured, still over), or nothing to measure."""

    seconds: float | None = None
    never: bool = False
    note: str = ""


def _place_back(history: StatsHistory | None, request: str, limit_ms: float, heal: float, horizon: float) -> _Back:
    """Seconds after `heal` from which, up to `horizon`, the `request`s completed in each second took no longer
    than the limit on average (Locust's cumulative mean, differenced between rows: 1 s resolution, exact
    per second, unlike its rolling ~10 s percentiles, which cannot show a recovery inside a short gap)."""
    if history is None or not history.full_history:
        return _Back(note="no per-request Locust history")
    rows = sorted(history.series(request), key=lambda r: r.t)
    seconds: list[tuple[float, float]] = []           # (row time, mean ms of the requests completed since the last)
    for prev, r in zip(rows, rows[1:]):
        n = r.total_requests - prev.total_requests
        if n > 0 and heal < r.t <= horizon:
            seconds.append((r.t, (r.total_avg_ms * r.total_requests - prev.total_avg_ms * prev.total_requests) / n))
    if not seconds:
        return _Back(note=f"no {request} requests after the heal")
    over = [i for i, (_, ms) in enumerate(seconds) if ms > limit_ms]
    if not over:
        return _Back(0.0)
    if over[-1] == len(seconds) - 1:
        return _Back(never=True, note=f"{request} took {seconds[-1][1]:.0f} ms on average (limit {limit_ms:.0f} ms) "
                                      "in the last second before the next fault or the end")
    return _Back(seconds[over[-1]][0] - heal)


def _kitchen_back(lags: KitchenLags | None, limit_ms: float, heal: float, horizon: float) -> _Back:
    """Seconds after `heal` from which no order waits longer than the limit: every order that was late (lag >
    limit) had reached the KDS by then. Orders paid within one limit of `horizon` are the next fault's."""
    if lags is None:
        return _Back(note="no kitchen tickets read")
    before = lags.paid < horizon - limit_ms / 1000.0
    if not (before & (lags.paid >= heal)).any():
        return _Back(note="no order paid after the heal")
    late = before & ((lags.received - lags.paid) * 1000.0 > limit_ms)
    back = max(heal, float(lags.received[late].max())) if late.any() else heal
    if back > horizon:
        return _Back(never=True, note=f"a late ticket reached the KDS {back - heal:.1f} s after the heal, "
                                      "after the next fault began or the load ended")
    return _Back(back - heal)


def recovery(faults: Sequence[FaultWindow], t0: float, load_end: float, limits: "SLOConfig", *,
             history: StatsHistory | None, lags: KitchenLags | None) -> tuple[Recovery, ...]:
    """One Recovery per fault window against the SLO limits (place p95, kitchen p95); the horizon of each is the
    next fault's start (or the load's end)."""
    place_request, place_p95_ms, kitchen_p95_ms = limits.place_request, limits.place_p95_ms, limits.kitchen_p95_ms
    out = []
    starts = sorted(t0 + w.start_s for w in faults)
    for w in faults:
        if w.end_s is None:
            out.append(Recovery(w.name, w.start_s, None, NEVER_HEALED))
            continue
        heal = t0 + w.end_s
        horizon = min([s for s in starts if s > heal] + [load_end])
        place = _place_back(history, place_request, place_p95_ms, heal, horizon)
        kitchen = _kitchen_back(lags, kitchen_p95_ms, heal, horizon)
        note = "; ".join(b.note for b in (place, kitchen) if b.note)
        measured = [b.seconds for b in (place, kitchen) if b.seconds is not None]
        if place.never or kitchen.never:
            status, seconds = NEVER, None
        elif not measured:
            status, seconds = UNMEASURED, None
        else:
            status, seconds = RECOVERED, round(max(measured), 1)
        out.append(Recovery(w.name, w.start_s, w.end_s, status, seconds, _r(place.seconds), _r(kitchen.seconds),
                            note))
    return tuple(out)


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)
