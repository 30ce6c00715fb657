"""Blame in words: fault windows as the audit's timeline, and where a check's violations cluster
("lost tickets 136, all in kitchen_drop kitchen_publish reset_peer 56–61 s")."""
from __future__ import annotations

import re
from typing import Sequence

from harness.audit.model import DRAIN, QUIET, UNTIMED, CheckResult, Cluster, Timeline, Window
from harness.report.model import FaultWindow


def window_label(w: FaultWindow) -> str:
    """`name links toxics start–end s`, e.g. "kitchen_drop kitchen_publish reset_peer 56–61 s"."""
    links: list[str] = []
    kinds: list[str] = []
    for part in filter(None, (p.strip() for p in re.sub(r"\([^)]*\)", "", w.detail).split(","))):
        link, _, rest = part.partition(":")
        kind = rest.split("/")[0].split("(")[0].strip()
        if link and link not in links and "(" not in link and " " not in link:
            links.append(link)
        if kind and kind not in kinds:
            kinds.append(kind)
    hint = " ".join(x for x in ("+".join(links), "+".join(kinds)) if x)
    when = f"{w.start_s:.0f}–{w.end_s:.0f} s" if w.end_s is not None else f"{w.start_s:.0f} s–never healed"
    return " ".join(x for x in (w.name, hint[:48], when) if x)


def timeline(faults: Sequence[FaultWindow], t0: float, load_end: float | None) -> Timeline:
    """The audit's timeline (epoch seconds) from the report's fault windows (seconds since t0)."""
    return Timeline(tuple(Window(window_label(w), t0 + w.start_s, None if w.end_s is None else t0 + w.end_s)
                          for w in faults), load_end)


def _place(where: tuple[str, ...]) -> str:
    if where == (QUIET,):
        return "quiet"
    if where == (DRAIN,):
        return "in the drain"
    if where == (UNTIMED,):
        return "untimed"
    return "in " + " + ".join(where)


def where_text(clusters: Sequence[Cluster]) -> str:
    """"all in X" when one place holds every finding, else "9 in X, 3 quiet" (largest first); "" if none."""
    if not clusters:
        return ""
    if len(clusters) == 1:
        return "all " + _place(clusters[0].where)
    return ", ".join(f"{c.count} {_place(c.where)}" for c in clusters)


def cluster_lines(check: CheckResult) -> list[str]:
    """One line per system of record with findings: "lost tickets 136, all in kitchen_drop … 56–61 s"."""
    lines = []
    for s in check.systems:
        if s.count:
            where = where_text(s.clusters)
            lines.append(f"{check.name} {s.system.value} {s.count}" + (f", {where}" if where else ""))
    return lines
