"""CPU seconds per part of a running system over a window: where the CPU of one confirmed order goes.

A part is a name and its root pids; each root counts with every live descendant (PostgreSQL's backends,
the broker's beam and helpers). Two snapshots of (pid → user+system CPU seconds) give each part's CPU in
the window: a process born inside it counts from zero, one that ended inside it loses its share (reported).
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.runtime.procs import process_tree

Snapshot = dict[str, dict[tuple[int, float], float]]   # part → (pid, start time) → CPU seconds


def _cpu_of(pid: int) -> tuple[float, float] | None:
    """(CPU seconds, create time) of `pid`, or None if it is gone."""
    import psutil
    try:
        p = psutil.Process(pid)
        with p.oneshot():
            t = p.cpu_times()
            return t.user + t.system, p.create_time()
    except psutil.Error:
        return None


def snapshot(parts: dict[str, list[int]]) -> Snapshot:
    """Every part's processes now (roots and descendants), keyed by (pid, start time) so a reused pid differs."""
    snap: Snapshot = {}
    for name, roots in parts.items():
        procs: dict[tuple[int, float], float] = {}
        for root in roots:
            for pid in process_tree(root):
                got = _cpu_of(pid)
                if got is not None:
                    procs[(pid, got[1])] = got[0]
        snap[name] = procs
    return snap


@dataclass(frozen=True)
class PartCpu:
    name: str
    seconds: float      # CPU seconds in the window
    processes: int      # processes alive at the end
    ended: int          # processes seen at the start and gone at the end (their window CPU is not counted)


def split(before: Snapshot, after: Snapshot) -> list[PartCpu]:
    """Each part's CPU seconds between two snapshots, in the order of `after`."""
    out = []
    for name, now in after.items():
        then = before.get(name, {})
        seconds = sum(cpu - then.get(key, 0.0) for key, cpu in now.items())
        out.append(PartCpu(name, seconds, len(now), sum(1 for key in then if key not in now)))
    return out


def table(parts: list[PartCpu], per: int, what: str = "confirmed order") -> list[str]:
    """Lines of `ms of CPU per <what>` for each part and the total (per = how many were done in the window)."""
    if per <= 0:
        return [f"  CPU per {what}: none done in the window"]
    total = sum(p.seconds for p in parts)
    width = max(len(p.name) for p in parts)
    lines = [f"  CPU per {what} (ms), {per} in the window:"]
    for p in sorted(parts, key=lambda p: -p.seconds):
        note = f", {p.ended} ended in the window (not counted)" if p.ended else ""
        lines.append(f"    {p.name:<{width}}  {1000 * p.seconds / per:7.2f}  "
                     f"({100 * p.seconds / total if total else 0:4.1f}%, {p.processes} proc{note})")
    lines.append(f"    {'total':<{width}}  {1000 * total / per:7.2f}")
    return lines
