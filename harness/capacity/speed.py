"""The machine's own speed while a step runs: a low-duty probe that times a fixed piece of pure-Python work in CPU
time, so a search can say how fast the machine was and give its capacity adjusted to a reference speed.

On a shared VM the same processes, using the same CPU share, serve a quarter more or fewer orders from one
minute to the next (measured: every saturated step of a search used 170% of a core while serving 105 to 143
orders/s). Work done per CPU-second is what moves, and it moves for every process on the machine alike, so a
probe that does fixed work and reads its own thread's CPU clock sees it. An external probe of this kind (5 units
every 45 ms) followed one search's saturated steps with a correlation of 0.975 (served / speed varied 4.7% where
served varied 28%); this lighter one is looser step to step, so only the knee's confirmation, the longest window,
is adjusted: four searches in a row agreed within 7.4% adjusted and 20% raw. It costs about 5% of one core
(5.3% measured on an idle machine).
"""
from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

UNIT_TURNS = 20_000            # loop turns in one unit of work
REFERENCE_SPEED = 0.5          # units per CPU ms: the speed index's 1.0 (one core of the reference VM, idle)
BURST_UNITS = 2                # units timed together
PAUSE_S = 0.1                  # between bursts: the duty stays near 5% of one core


def unit() -> int:
    """One unit of fixed work: an integer loop, no allocation, no I/O (the same on every call)."""
    acc = 0
    for i in range(UNIT_TURNS):
        acc = (acc * 31 + i) & 0xFFFFFFFF
    return acc


def burst() -> float:
    """Units per CPU millisecond of this thread over one burst."""
    t0 = time.thread_time()
    for _ in range(BURST_UNITS):
        unit()
    cpu = time.thread_time() - t0
    return BURST_UNITS / (cpu * 1000.0) if cpu > 0 else 0.0


@dataclass(frozen=True)
class Speed:
    """The probe's reading over a window: mean units per CPU ms, and how many bursts it rests on."""

    units_per_cpu_ms: float
    samples: int


class SpeedProbe:
    """Runs bursts on a daemon thread until stopped; `over(start, end)` is the mean over a wall-clock window."""

    def __init__(self, pause_s: float = PAUSE_S) -> None:
        self._pause = pause_s
        self._samples: list[tuple[float, float]] = []     # (epoch seconds at the end of a burst, units per CPU ms)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dinerush-speed-probe", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rate = burst()
            if rate > 0:
                self._samples.append((time.time(), rate))
            self._stop.wait(self._pause)

    def __enter__(self) -> "SpeedProbe":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def over(self, start: float, end: float) -> Speed | None:
        """The mean speed over [start, end] (epoch seconds), or None when no burst ended in it."""
        rates = [r for t, r in list(self._samples) if start <= t <= end]
        return Speed(round(statistics.fmean(rates), 5), len(rates)) if rates else None


def spread(speeds: list[float | None]) -> float | None:
    """Fastest over slowest, minus one (None for fewer than two readings; a missing one is skipped)."""
    speeds = [s for s in speeds if s and s > 0]
    return max(speeds) / min(speeds) - 1 if len(speeds) >= 2 else None


@dataclass(frozen=True)
class SpeedSummary:
    """What the probe says about a search: the speed at the knee, the spread over the steps, the adjusted capacity."""

    reference_units_per_cpu_ms: float
    knee_units_per_cpu_ms: float | None
    knee_index: float | None
    spread_between_steps: float | None
    capacity_adjusted_orders_per_s: float | None
    sentence: str


def summarize(knee_served: float | None, knee_speed: float | None, step_speeds: list[float | None],
              cpu_bound: bool = True) -> SpeedSummary:
    """The knee's speed as an index of the reference, the capacity scaled to the reference speed (only when the
    stack was CPU-bound there: a network's latency or a lock does not speed up with the CPU), and a sentence."""
    moved = spread(step_speeds)
    if knee_speed is None or knee_speed <= 0:
        return SpeedSummary(REFERENCE_SPEED, None, None, moved, None,
                            "machine speed: not measured at the knee (no probe reading)")
    index = knee_speed / REFERENCE_SPEED
    adjusted = knee_served / index if knee_served is not None and cpu_bound else None
    text = f"machine speed: {index:.2f}× the reference during the knee's step"
    if adjusted is not None:
        text += f"; capacity at the reference speed {adjusted:.1f} orders/s (compare searches by this figure)"
    elif not cpu_bound:
        text += "; the limit was not the CPU, so no capacity at the reference speed is given"
    if moved is not None:
        text += f"; the speed moved {moved:.0%} between steps"
    return SpeedSummary(REFERENCE_SPEED, round(knee_speed, 5), round(index, 4),
                        None if moved is None else round(moved, 4),
                        None if adjusted is None else round(adjusted, 3), text)
