"""The evidence floor: a run is green only if it exercised what it claims (DESIGN: evidence floor).

Pure: from the audit's Index, the scheduled faults, the timeline's stamps and the SLO results, the gaps that
make the run inconclusive (exit 3), each naming what is missing. Rules (one line each):
- enough intents placed and paid end to end: told ok twice, the order PAID, a captured charge, a kitchen ticket
  (the charge and the ticket only where the target has those systems of record: FinalReads.absent).
- every system of record the target has holds rows: orders, captured charges, kitchen tickets.
- every scheduled fault was applied and healed, as stamped after Toxiproxy (or the supervisor) confirmed it.
- every configured SLO was measured (a missing or unknown SLO is a gap, never a pass).
- a run without scheduled faults is not a gap, but the verdict says it proves steady-state correctness only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from harness.audit.index import PAID, Index
from harness.audit.model import SYSTEMS, System
from scenarios.ledger import Told

NO_FAULTS = "no faults were scheduled: this run proves steady-state correctness only"


@dataclass(frozen=True)
class ScheduledFault:
    """One entry of the run's fault timeline, as recorded in run.json ("scheduled_faults")."""

    entry: int          # 0-based index in the schedule (the stamps' `entry`)
    use: str
    at: float
    for_s: float

    @classmethod
    def from_dict(cls, d: dict) -> "ScheduledFault":
        return cls(int(d["entry"]), str(d["use"]), float(d["at"]), float(d["for"]))

    def to_dict(self) -> dict:
        return {"entry": self.entry, "use": self.use, "at": self.at, "for": self.for_s}

    def label(self) -> str:
        return f"#{self.entry + 1} {self.use} (at {self.at:g} s for {self.for_s:g} s)"


@dataclass(frozen=True)
class SLOSeen:
    """What the evidence floor needs of an SLO result: its name, and why it was not measured (None if it was)."""

    name: str
    unmeasured: str | None


@dataclass(frozen=True)
class Evidence:
    paid_end_to_end: int
    gaps: tuple[str, ...]     # each makes the run inconclusive
    notes: tuple[str, ...]    # said in the verdict, not gaps

    @property
    def enough(self) -> bool:
        return not self.gaps


def paid_end_to_end(ix: Index) -> int:
    """Intents told ok to both place and pay whose order is PAID with a captured charge and a kitchen ticket."""
    OK = Told.OK
    absent = ix.reads.absent if ix.reads is not None else ()
    captured = ix.captured if "charges" not in absent else None
    ticket = ix.ticket if "tickets" not in absent else None
    clean = ix.clean.paid_end_to_end if ix.clean is not None else 0
    return clean + sum(1 for e, o in zip(ix.entries, ix.entry_order)
                       if e.order is OK and e.payment is OK and o is not None and o.status == PAID
                       and (captured is None or o.order_id in captured) and (ticket is None or o.order_id in ticket))


def _row_gaps(ix: Index, systems: Sequence[System]) -> list[str]:
    if ix.reads is None:
        return []   # already inconclusive: no final reads
    clean = ix.clean
    held = {System.ORDERS: bool(ix.reads.orders) or bool(clean and clean.orders),
            System.CHARGES: bool(ix.captured_rows) or bool(clean and clean.captured),
            System.TICKETS: bool(ix.reads.tickets) or bool(clean and clean.tickets)}
    what = {System.ORDERS: "no order rows in the orders database",
            System.CHARGES: "no captured charge in the gateway's charges",
            System.TICKETS: "no ticket rows in the kitchen database"}
    return [what[s] for s in systems if not held[s] and s.value not in ix.reads.absent]


def _fault_gaps(scheduled: Sequence[ScheduledFault] | None, stamps: Sequence[dict]) -> list[str]:
    if scheduled is None:
        return ["run.json does not list the scheduled faults: cannot prove they applied and healed"]
    applied = {s.get("entry") for s in stamps if s.get("action") == "apply"}
    healed = {s.get("entry") for s in stamps if s.get("action") == "heal"}
    gaps = []
    for f in scheduled:
        if f.entry not in applied:
            gaps.append(f"fault {f.label()} was never applied")
        elif f.entry not in healed:
            gaps.append(f"fault {f.label()} was applied but never healed")
    return gaps


def evidence(ix: Index, *, min_paid: int, scheduled: Sequence[ScheduledFault] | None, stamps: Sequence[dict],
             slos: Sequence[SLOSeen], expected_slos: Sequence[str],
             systems: Sequence[System] = SYSTEMS) -> Evidence:
    """The gaps between what the run claims and what it exercised (see the module's rules)."""
    gaps: list[str] = []
    n = paid_end_to_end(ix)
    if ix.reads is not None and not ix.intents:
        gaps.append("the ledger is empty: no diner intent was recorded")
    if n < min_paid:
        gaps.append(f"only {n} intent(s) placed and paid end to end (PAID, captured, on the KDS); "
                    f"the floor is {min_paid} (profile min_paid)")
    gaps += _row_gaps(ix, systems)
    gaps += _fault_gaps(scheduled, stamps)
    seen = {s.name: s for s in slos}
    for name in expected_slos:
        s = seen.get(name)
        if s is None:
            gaps.append(f"SLO {name} was not measured (no result)")
        elif s.unmeasured is not None:
            gaps.append(f"SLO {name} was not measured: {s.unmeasured}")
    notes = (NO_FAULTS,) if scheduled is not None and not scheduled else ()
    return Evidence(n, tuple(gaps), notes)
