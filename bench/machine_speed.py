"""How steady this machine's own speed is: the floor under any two measurements of the stack agreeing.

    .venv/bin/python bench/machine_speed.py [--seconds 240] [--procs N] [--windows 20,60]

One process per core (`--procs`, default all) runs the same fixed pure-Python work in a loop and counts how many
units it finishes in each wall-clock second. The per-second totals over all processes are then cut into
back-to-back windows of each length in `--windows`, and for each length the bench prints every window's mean,
the slowest and fastest, and their spread (fastest / slowest - 1). A capacity step measured over a window of that
length can move by as much as that spread with nothing changing in the stack: on a shared VM whose vCPUs share
a host's cores, the spread over 20 s windows is several times the spread over 60 s ones, which is why
`dinerush capacity` confirms its knee with a longer step. Nothing else should run while it measures.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.capacity.speed import unit  # noqa: E402  (the capacity search's probe does the same work)


def worker(seconds: float, start_at: float, out) -> None:
    """Units finished in each whole second from `start_at` (a shared wall-clock start) for `seconds` seconds."""
    while time.time() < start_at:
        time.sleep(0.005)
    counts = [0] * int(seconds)
    while True:
        k = int(time.time() - start_at)
        if k >= len(counts):
            break
        unit()
        counts[k] += 1
    out.put(counts)


@dataclass(frozen=True)
class Spread:
    window_s: int
    means: tuple[float, ...]     # units per second, one per window

    @property
    def slowest(self) -> float:
        return min(self.means)

    @property
    def fastest(self) -> float:
        return max(self.means)

    @property
    def spread(self) -> float:
        return self.fastest / self.slowest - 1 if self.slowest > 0 else float("inf")


def spreads(per_second: Sequence[float], windows: Sequence[int]) -> list[Spread]:
    """Back-to-back windows of each length over the per-second totals (a trailing partial window is dropped)."""
    out = []
    for w in windows:
        means = tuple(statistics.fmean(per_second[i:i + w]) for i in range(0, len(per_second) - w + 1, w))
        if means:
            out.append(Spread(w, means))
    return out


def measure(seconds: int, procs: int) -> list[float]:
    """Per-second units over all processes."""
    q: mp.Queue = mp.Queue()
    start_at = time.time() + 0.5
    ps = [mp.Process(target=worker, args=(seconds, start_at, q), daemon=True) for _ in range(procs)]
    for p in ps:
        p.start()
    counts = [q.get(timeout=seconds + 60) for _ in ps]
    for p in ps:
        p.join(timeout=10)
    return [float(sum(c[i] for c in counts)) for i in range(seconds)]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=240, help="how long to measure (default 240)")
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="busy processes (default: one per core)")
    ap.add_argument("--windows", default="20,60", help="window lengths in seconds, comma-separated (default 20,60)")
    a = ap.parse_args(argv)
    try:
        windows = [int(w) for w in a.windows.split(",") if w.strip()]
    except ValueError:
        ap.error(f"--windows {a.windows!r}: give whole seconds, comma-separated, e.g. 20,60")
    if not windows or min(windows) < 1 or a.procs < 1 or a.seconds < max(windows):
        ap.error("--procs must be 1 or more, and --seconds at least the longest window")
    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
    print(f"machine speed: {a.procs} busy processes for {a.seconds} s (load average {load} at start)", flush=True)
    per_second = measure(a.seconds, a.procs)
    got = spreads(per_second, windows)
    for s in got:
        print(f"  {s.window_s:3d} s windows ({len(s.means)}): {' '.join(f'{m:.0f}' for m in s.means)} units/s")
        print(f"      slowest {s.slowest:.0f}, fastest {s.fastest:.0f}: spread {s.spread:.1%}")
    if len(got) >= 2 and got[-1].spread > 0:
        print(f"  spread ratio, {got[0].window_s} s over {got[-1].window_s} s windows: "
              f"{got[0].spread / got[-1].spread:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
