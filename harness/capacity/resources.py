"""Where the time went during a step: CPU of each stack process (from /proc), database waits
(pg_stat_activity), and the backlog at the step's end; and, from those, the limiting resource if one shows.

CPU is summed over each process group's whole tree (PostgreSQL's backends are children of the postmaster).
Percent is of one core: a single-threaded Python service cannot go past ~100%.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from harness.capacity.search import Resources, StepResult

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
DB_WAIT_SQL = ("SELECT count(*) FILTER (WHERE state = 'active'), "
               "count(*) FILTER (WHERE state = 'active' AND wait_event_type IN ('Lock','LWLock','IO','IPC','BufferPin')) "
               "FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime (fields 14, 15 of stat)
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass(frozen=True)
class ProcStat:
    ppid: int
    cpu: float     # user + system CPU seconds
    start: int     # start time in clock ticks since boot: a reused pid has another


def proc_table() -> dict[int, ProcStat]:
    """Every process now, from one pass over /proc."""
    table: dict[int, ProcStat] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # ppid, utime, stime, starttime: fields 4, 14, 15, 22 of stat
            table[int(entry)] = ProcStat(int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK,
                                         int(fields[19]))
        except (OSError, IndexError, ValueError):
            continue
    return table


def trees(table: Mapping[int, ProcStat], roots: Mapping[str, Iterable[int]]) -> dict[str, set[int]]:
    """Each named group's pids: its roots found in `table` and all their descendants there."""
    children: dict[int, list[int]] = {}
    for pid, st in table.items():
        children.setdefault(st.ppid, []).append(pid)
    out: dict[str, set[int]] = {}
    for name, group in roots.items():
        seen: set[int] = set()
        todo = [r for r in group if r in table]
        while todo:
            pid = todo.pop()
            if pid not in seen:
                seen.add(pid)
                todo.extend(children.get(pid, ()))
        out[name] = seen
    return out


def machine_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores since boot, from /proc/stat (idle and iowait are not busy)."""
    try:
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    total = sum(vals[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


@dataclass
class CpuMeter:
    """Snapshots of CPU seconds per named process group (each root's whole tree, one /proc pass per
    snapshot); `percent(a, b, seconds)` between two of them. A group that is gone reads 0 and is dropped."""

    roots: dict[str, int]

    def snapshot(self) -> dict[str, float]:
        table = proc_table()
        groups = trees(table, {name: (root,) for name, root in self.roots.items() if root in table})
        return {name: sum(table[pid].cpu for pid in pids) for name, pids in groups.items()}

    @staticmethod
    def percent(a: Mapping[str, float], b: Mapping[str, float], seconds: float) -> dict[str, float]:
        if seconds <= 0:
            return {}
        return {k: round(100.0 * max(0.0, b[k] - a[k]) / seconds, 1) for k in a if k in b}


@dataclass
class Samples:
    """Timed samples taken during a step; cut to the step's measured window once Locust has told us it."""

    cpu: list[tuple[float, dict[str, float]]] = field(default_factory=list)      # (epoch, snapshot)
    machine: list[tuple[float, float, float]] = field(default_factory=list)      # (epoch, busy s, total s)
    db: list[tuple[float, int, int]] = field(default_factory=list)               # (epoch, active, waiting)

    def cpu_pct(self, start: float, end: float) -> dict[str, float]:
        """% of one core per group between the snapshots nearest the window's ends."""
        inside = [s for s in self.cpu if start - 1.0 <= s[0] <= end + 1.0]
        if len(inside) < 2:
            return {}
        (ta, a), (tb, b) = inside[0], inside[-1]
        return CpuMeter.percent(a, b, tb - ta)

    def machine_pct(self, start: float, end: float) -> float | None:
        """How busy all cores were (0-100), whoever used them."""
        inside = [s for s in self.machine if start - 1.0 <= s[0] <= end + 1.0]
        if len(inside) < 2 or inside[-1][2] <= inside[0][2]:
            return None
        return round(100.0 * (inside[-1][1] - inside[0][1]) / (inside[-1][2] - inside[0][2]), 1)

    def db_waits(self, start: float, end: float) -> "DbWaits":
        w = DbWaits()
        for t, active, waiting in self.db:
            if start <= t <= end:
                w.add(active, waiting)
        return w


@dataclass
class DbWaits:
    """Samples of active and waiting client backends over a step."""

    active: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)

    def add(self, active: int, waiting: int) -> None:
        self.active.append(active)
        self.waiting.append(waiting)

    def means(self) -> tuple[float | None, float | None]:
        if not self.active:
            return None, None
        n = len(self.active)
        return round(sum(self.active) / n, 2), round(sum(self.waiting) / n, 2)


CORE_BUSY_PCT = 85.0     # a single-threaded process at this share of a core is saturated
MACHINE_BUSY = 0.85      # all processes at this share of every core: the machine is the limit (a closed loop of
                         # blocking processes tops out near 90% on 2 cores, measured: never 100%)


@dataclass(frozen=True)
class Limiter:
    what: str            # a process group name, "machine", "kitchen queue", "outbox", "database", or ""
    sentence: str


def limiting(step: StepResult | None, previous: StepResult | None = None) -> Limiter:
    """The resource that looks saturated at `step` (the first failing one, or the top when none failed)."""
    if step is None or step.resources is None:
        return Limiter("", "no resource figures")
    r = step.resources
    stack = {k: v for k, v in r.cpu_pct.items() if k != "locust"}
    total = sum(r.cpu_pct.values())
    notes = []
    if r.cpu_pct:
        top = max(stack, key=stack.get) if stack else None
        if top is not None and stack[top] >= CORE_BUSY_PCT:
            notes.append(Limiter(top, f"{top} CPU-bound at {stack[top]:.0f}% of a core"))
        busy = r.machine_busy_pct if r.machine_busy_pct is not None else total / r.cores
        if busy >= MACHINE_BUSY * 100:
            loc = r.cpu_pct.get("locust", 0.0)
            other = max(0.0, busy * r.cores - total)
            notes.append(Limiter("machine", f"the machine's {r.cores} cores are {busy:.0f}% busy (the stack "
                                            f"{total - loc:.0f}%, the load generator {loc:.0f}%, other processes "
                                            f"{other:.0f}%, in % of one core)"))
    if r.db_active and r.db_waiting is not None and r.db_waiting >= 0.5 * r.db_active and r.db_active >= 1:
        notes.append(Limiter("database", f"database waits: {r.db_waiting:.1f} of {r.db_active:.1f} active backends waiting"))
    prev = previous.resources if previous is not None else None
    for name, now, before in (("kitchen queue", r.queue_messages, prev.queue_messages if prev else 0),
                              ("outbox", r.outbox_unsent, prev.outbox_unsent if prev else 0),
                              ("payments pending", r.payments_pending, prev.payments_pending if prev else 0)):
        if now is not None and now > max(50, 2 * (before or 0)):
            notes.append(Limiter(name, f"{name} backlog {now} at the end of the step"))
    if not notes:
        return Limiter("", "no resource saturated visibly" + _nearest(r, total))
    return Limiter(notes[0].what, "; ".join(n.sentence for n in notes))


def _nearest(r: Resources, total: float) -> str:
    """What came nearest, so the reader can judge: the machine's share, the three busiest groups (the load
    generator too: on a small machine it competes), the database's active backends."""
    parts = []
    if r.cpu_pct:
        busy = r.machine_busy_pct if r.machine_busy_pct is not None else total / r.cores
        top = sorted(r.cpu_pct.items(), key=lambda kv: -kv[1])[:3]
        parts.append(f"the machine's {r.cores} cores {busy:.0f}% busy; busiest: "
                     + ", ".join(f"{k} {v:.0f}%" for k, v in top) + " of a core")
    if r.db_active is not None:
        parts.append(f"{r.db_active:.1f} active database backends ({r.db_waiting or 0:.1f} waiting)")
    return f" ({'; '.join(parts)})" if parts else ""


def resources(cpu: Mapping[str, float], cores: int, waits: DbWaits, backlog,
              machine_busy_pct: float | None = None) -> Resources:
    active, waiting = waits.means()
    return Resources(cpu_pct=dict(cpu), cores=cores, machine_busy_pct=machine_busy_pct,
                     outbox_unsent=getattr(backlog, "outbox_unsent", None),
                     queue_messages=getattr(backlog, "queue_messages", None),
                     payments_pending=getattr(backlog, "payments_pending", None),
                     db_active=active, db_waiting=waiting)
