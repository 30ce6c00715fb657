"""The seeded random nemesis: draws a fault timeline from the whole catalogue (faults.registry), each fault
with one of its own param variants (`Fault.variants`), so a fault registered later joins by registering.

Two faults never hold one link or one part (a process, the payment provider) at once, with a margin
between them: stacked toxics on one link are what wedges Toxiproxy's API when they are removed under
traffic (upstream issue 558), and two faults on one part would undo each other's heal.
"""
from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from typing import Mapping

from faults.errors import FaultError
from faults.registry import FAULTS
from faults.timeline import Entry, Schedule, overlaps

SAME_TARGET_GAP_S = 2.0    # quiet seconds between two faults on one link or part
MIN_FIT_S = 20.0           # a nemesis needs at least this much load


@dataclass(frozen=True)
class RandomSpec:
    """Faults arrive at `rate_per_min` on average (exponential gaps), each picked by weight from `mix`
    (empty: every registered fault, weight 1), lasting uniform [min_for, max_for] s, inside
    [quiet_start, duration - quiet_end]."""

    seed: int = 1
    duration: float = 120.0
    rate_per_min: float = 4.0
    min_for: float = 4.0
    max_for: float = 12.0
    quiet_start: float = 10.0
    quiet_end: float = 15.0
    mix: tuple[tuple[str, float], ...] = ()

    def weights(self) -> tuple[tuple[str, float], ...]:
        return self.mix or tuple((name, 1.0) for name in FAULTS)


def fit(spec: RandomSpec, duration: float) -> RandomSpec:
    """`spec` fitted to `duration` s of load: quiet windows and fault lengths shrink (never grow) to fit."""
    if duration < MIN_FIT_S:
        raise FaultError(f"a random nemesis needs at least {MIN_FIT_S:g} s of load, not {duration:g} s: "
                         "raise --duration")
    quiet_start, quiet_end = spec.quiet_start, spec.quiet_end
    if quiet_start + quiet_end > duration / 2:   # quiet at most half the load
        scale = duration / 2 / (quiet_start + quiet_end)
        quiet_start, quiet_end = round(quiet_start * scale, 1), round(quiet_end * scale, 1)
    room = duration - quiet_start - quiet_end
    max_for = min(spec.max_for, room)
    min_for = min(spec.min_for, max_for)
    return dataclasses.replace(spec, duration=float(duration), quiet_start=quiet_start, quiet_end=quiet_end,
                               min_for=min_for, max_for=max_for)


def _holds(use: str, params: object) -> frozenset[str]:
    """What a fault with these params holds: its links and its parts (`link:` / `part:` prefixed)."""
    plan = FAULTS[use].plan(params)
    return frozenset([f"link:{x}" for x in plan.links] + [f"part:{x}" for x in plan.parts])


def _variants(use: str) -> tuple[Mapping[str, object], ...]:
    return FAULTS[use].variants or ({},)


def _fitting_variant(use: str, busy: frozenset[str], rng: random.Random) -> tuple[object, frozenset[str]] | None:
    """A variant of `use` (tried in random order) holding nothing in `busy`, with what it holds; or None."""
    variants = _variants(use)
    for raw in rng.sample(variants, len(variants)):
        params = FAULTS[use].parse(raw)
        held = _holds(use, params)
        if not held & busy:
            return params, held
    return None


def random_schedule(spec: RandomSpec, name: str = "random", source: str = "") -> Schedule:
    """A Schedule drawn from `spec`; the same spec (seed included) gives the same schedule. An arrival whose
    pick would share a link or part with a fault still active (or healed less than SAME_TARGET_GAP_S ago)
    takes another pick by weight among the faults that fit, or is skipped when none does."""
    rng = random.Random(spec.seed)
    pool = [(n, w) for n, w in spec.weights() if w > 0]
    unknown = [n for n, _ in pool if n not in FAULTS]
    if unknown:
        raise FaultError(f"random schedule: unknown fault {unknown[0]!r}; faults: {', '.join(FAULTS)}")
    if not pool:
        raise FaultError("random schedule: the mix has no fault with weight > 0")
    entries: list[tuple[Entry, frozenset[str]]] = []
    t = spec.quiet_start
    last_end = spec.duration - spec.quiet_end
    rate = spec.rate_per_min / 60.0
    while rate > 0 and len(entries) < 10_000:
        t += rng.expovariate(rate)
        dur = round(rng.uniform(spec.min_for, spec.max_for), 1)
        at = round(t, 1)
        if at + dur > last_end:
            break
        busy = frozenset().union(*(held for e, held in entries
                                   if overlaps(at, at + dur, e.at, e.end, SAME_TARGET_GAP_S)))
        candidates = list(pool)
        while candidates:
            use = rng.choices([n for n, _ in candidates], [w for _, w in candidates])[0]
            picked = _fitting_variant(use, busy, rng)
            if picked is not None:
                entries.append((Entry(index=len(entries), at=at, for_s=dur, use=use, params=picked[0]), picked[1]))
                break
            candidates = [(n, w) for n, w in candidates if n != use]
    if not entries and spec.quiet_start + spec.min_for <= last_end:
        # a long first gap drew nothing: a nemesis asked for brings at least one fault whenever one fits
        dur = math.floor(rng.uniform(spec.min_for, min(spec.max_for, last_end - spec.quiet_start)) * 10) / 10
        at = math.floor(rng.uniform(spec.quiet_start, last_end - dur) * 10) / 10
        for use in rng.sample([n for n, _ in pool], len(pool)):
            picked = _fitting_variant(use, frozenset(), rng)
            if picked is not None:
                entries.append((Entry(index=0, at=at, for_s=dur, use=use, params=picked[0]), picked[1]))
                break
    return Schedule(name=name, entries=tuple(e for e, _ in entries), duration=float(spec.duration),
                    description=f"seeded random nemesis (seed {spec.seed}, {spec.rate_per_min:g}/min)",
                    source=source or f"random:{spec.seed}", seed=spec.seed)
