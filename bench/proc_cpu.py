"""CPU seconds per part of a running system over a window: where the CPU of one confirmed order goes.

A part is a name and its root pids; each root counts with every live descendant (PostgreSQL's backends,
the broker's beam and helpers). Two snapshots of (pid → user+system CPU seconds) give each part's CPU in
the window: a process born inside it counts from zero, one that ended inside it loses its share (reported).
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.capacity.resources import proc_table, trees

Snapshot = dict[str, dict[tuple[int, float], float]]   # part → (pid, start time) → CPU seconds


def snapshot(parts: dict[str, list[int]]) -> Snapshot:
    """Every part's processes now (roots and descendants, one pass over /proc), keyed by (pid, start time) so a
    reused pid differs."""
    table = proc_table()
    return {name: {(pid, table[pid].start): table[pid].cpu for pid in pids}
            for name, pids in trees(table, parts).items()}


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
