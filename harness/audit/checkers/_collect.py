"""Collects findings per system of record into a CheckResult: counts everything, keeps the first N examples,
and blames every finding on the fault windows its intent overlapped (when the audit has a timeline)."""
from __future__ import annotations

from collections import Counter

from harness.audit.blame import Blamer
from harness.audit.index import Index
from harness.audit.model import SYSTEMS, CheckResult, Cluster, Example, System, SystemCount, Verdict, merge_clusters


class Findings:
    """Per-checker accumulator (one per call; no shared state)."""

    def __init__(self, name: str, ix: Index) -> None:
        self.name = name
        self.ix = ix
        self.limit = ix.options.max_examples
        self.counts = {s: 0 for s in SYSTEMS}
        self.examples: dict[System, list[Example]] = {s: [] for s in SYSTEMS}
        timeline = ix.options.timeline
        self.blamer = Blamer(ix, timeline) if timeline is not None else None
        self.clusters: dict[System, Counter[tuple[str, ...]]] = {s: Counter() for s in SYSTEMS}
        absent = ix.reads.absent if ix.reads is not None else ()
        self.absent = frozenset(s for s in SYSTEMS if s.value in absent)   # not applicable: nothing to judge there

    @property
    def payments(self) -> System:
        """Where a finding about what a diner was told of a payment goes: charges, or the orders when the target
        keeps no charges (such a finding needs no charge row, so it is never dropped as not applicable)."""
        return System.ORDERS if System.CHARGES in self.absent else System.CHARGES

    def add(self, system: System, ref: str, why: str, n: int = 1) -> None:
        if self.absent and system in self.absent:
            return
        self.counts[system] += n
        where = self.blamer.blame(ref, system) if self.blamer is not None else ()
        if where:
            self.clusters[system][where] += n
        ex = self.examples[system]
        if len(ex) < self.limit:
            ex.append(Example(system, ref, why, where))

    def result(self, note: str = "") -> CheckResult:
        total = sum(self.counts.values())
        systems = tuple(SystemCount(s, self.counts[s], tuple(self.examples[s]),
                                    merge_clusters(Cluster(w, n) for w, n in self.clusters[s].items()),
                                    applicable=s not in self.absent)
                        for s in SYSTEMS)
        if total:
            verdict = Verdict.INVALID        # a definite violation stands even if other things are unknown
        elif not self.ix.decidable:
            verdict = Verdict.UNKNOWN
            note = "; ".join(self.ix.unknown_reasons)
        else:
            verdict = Verdict.VALID
        return CheckResult(self.name, verdict, total, systems, note)
