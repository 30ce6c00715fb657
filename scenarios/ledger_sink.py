"""The ledger writer: diners' entries go to a per-process buffer, then to the master, which writes `ledger.jsonl`.

One code path for every runner: the buffer is shipped with `runner.send_message("dinerush_ledger", ...)`,
which a LocalRunner delivers to its own listener and a WorkerRunner sends to the master over ZeroMQ.
Workers ship every second, on `test_stop` (marked final) and at `quitting`. When a headless master
quits (run time or shape over) Locust does not wait for workers, so the master asks them to stop
("dinerush_stop") and waits for their final batch before it lets the run end.

Counters for conservation: intents started and entries recorded per process, entries written by the
master; `ledger.meta.json` next to the ledger holds them (`started == written` when nothing was lost).
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO

from scenarios.ledger import LedgerEntry

MSG_LEDGER = "dinerush_ledger"
MSG_STOP = "dinerush_stop"
META_FORMAT = 1
log = logging.getLogger("dinerush.ledger")


class LedgerExistsError(ValueError):
    """The ledger path already holds entries: refusing to mix two runs (or to overwrite one)."""


def entry_to_wire(entry: LedgerEntry) -> dict:
    """A LedgerEntry as plain JSON types (what Locust messages can carry)."""
    return entry.to_dict()


class LedgerBuffer:
    """Per process: counts intents started and entries recorded; holds entries not yet shipped.

    `record` never yields to other greenlets, so it is safe in a `finally` while a user is killed.
    """

    def __init__(self) -> None:
        self.started = 0
        self.recorded = 0
        self._pending: list[LedgerEntry] = []

    def intent_started(self) -> None:
        self.started += 1

    def record(self, entry: LedgerEntry) -> None:
        self.recorded += 1
        self._pending.append(entry)

    def take(self) -> list[LedgerEntry]:
        out, self._pending = self._pending, []
        return out

    def put_back(self, entries: list[LedgerEntry]) -> None:
        self._pending[:0] = entries

    def __len__(self) -> int:
        return len(self._pending)


@dataclass
class NodeCounts:
    started: int = 0      # intents that node started (cumulative, as last reported)
    recorded: int = 0     # entries it recorded (cumulative, as last reported)
    received: int = 0     # entries the master received from it
    final: bool = False   # its final batch of the current test arrived


@dataclass(frozen=True)
class LedgerMeta:
    """`ledger.meta.json`: the writer's counts, so a reader can prove every intent started was written.

    Keys a meta written before them lacks read as: `complete` true (it predates workers' final batches),
    `conserved` false (nothing proves it); a capacity search's merged meta adds `steps` and `missing_meta`."""

    started: int = 0          # intents begun, summed over nodes
    written: int = 0          # entries the master wrote
    conserved: bool = False   # started == written
    complete: bool = True     # every node's final batch arrived
    recorded: int = 0
    format: int | str = META_FORMAT
    ledger: str = "ledger.jsonl"
    run_id: str = ""
    seed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    payment: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, NodeCounts] = field(default_factory=dict)
    updated_at: float = 0.0
    steps: tuple[str, ...] = ()          # merged (capacity): the steps' folders
    missing_meta: tuple[str, ...] = ()   # merged: steps without a readable meta

    def to_json(self) -> str:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d.update(nodes={k: vars(v).copy() for k, v in sorted(self.nodes.items())}, steps=list(self.steps),
                 missing_meta=list(self.missing_meta))
        if not self.steps and not self.missing_meta:
            del d["steps"], d["missing_meta"]
        return json.dumps(d, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "LedgerMeta":
        """Parse a meta file (ValueError if it is not a JSON object of the known keys' types)."""
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("ledger meta is not a JSON object")
        known = {f.name for f in fields(cls)}
        try:
            d = {k: v for k, v in raw.items() if k in known}
            counts = {f.name for f in fields(NodeCounts)}
            d["nodes"] = {str(k): NodeCounts(**{n: x for n, x in v.items() if n in counts})
                          for k, v in (raw.get("nodes") or {}).items()}
            for name in ("started", "written", "recorded"):
                d[name] = int(d.get(name, 0))
            for name in ("conserved", "complete"):
                if name in d:
                    d[name] = bool(d[name])
            d["steps"], d["missing_meta"] = tuple(raw.get("steps") or ()), tuple(raw.get("missing_meta") or ())
            return cls(**d)
        except (TypeError, AttributeError) as err:
            raise ValueError(f"ledger meta has a malformed field: {err}") from None


@dataclass
class LedgerWriter:
    """The master's (or local runner's) side: appends entries to the ledger file, tracks counts per node."""

    path: Path
    meta_path: Path
    run_id: str = ""
    seed: int = 0
    nodes: dict[str, NodeCounts] = field(default_factory=dict)
    written: int = 0
    orders: Counter = field(default_factory=Counter)
    payments: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    _fp: IO[str] | None = None

    def open(self) -> "LedgerWriter":
        """Create the ledger file; an existing non-empty one is refused (LedgerExistsError), never overwritten."""
        if self.path.exists() and self.path.stat().st_size > 0:
            raise LedgerExistsError(f"ledger {self.path} already holds entries: pass a new --dinerush-ledger path "
                                    f"(or move the old file away)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fp = open(self.path, "a", encoding="utf-8")
        return self

    def close(self) -> None:
        if self._fp is not None:
            self._fp.close()
            self._fp = None

    def receive(self, node: str, entries: list[dict | LedgerEntry], started: int, recorded: int, final: bool) -> None:
        """Append one batch from `node`; each line is parsed first, so a malformed entry is refused loudly
        (entries already typed come from this very process: a local runner's own buffer)."""
        parsed = [d if isinstance(d, LedgerEntry) else LedgerEntry.from_dict(d) for d in entries]
        if parsed:
            if self._fp is None:
                self.open()
            assert self._fp is not None
            self._fp.write("".join([e.to_json() + "\n" for e in parsed]))  # one write per batch
            self._fp.flush()
            self.written += len(parsed)
            self.kinds.update([e.kind for e in parsed])
            self.orders.update([e.order.value for e in parsed])
            self.payments.update([e.payment.value if e.payment else "none" for e in parsed])
        n = self.nodes.setdefault(node, NodeCounts())
        n.started = max(n.started, started)
        n.recorded = max(n.recorded, recorded)
        n.received += len(parsed)
        n.final = n.final or final

    def new_test(self) -> None:
        """A new test starts (web UI: start after stop): finals of the last one no longer count."""
        for n in self.nodes.values():
            n.final = False

    def expect(self, nodes: list[str]) -> None:
        """Know every worker the master has: one that never ships an entry then leaves `complete` false."""
        for n in nodes:
            self.nodes.setdefault(n, NodeCounts())

    def finals_missing(self, nodes: list[str]) -> list[str]:
        return [n for n in nodes if not (n in self.nodes and self.nodes[n].final)]

    @property
    def started(self) -> int:
        return sum(n.started for n in self.nodes.values())

    def meta(self) -> LedgerMeta:
        started = self.started
        return LedgerMeta(
            format=META_FORMAT, ledger=self.path.name, run_id=self.run_id, seed=self.seed, started=started,
            recorded=sum(n.recorded for n in self.nodes.values()), written=self.written,
            conserved=started == self.written, complete=all(n.final for n in self.nodes.values()),
            by_kind=dict(sorted(self.kinds.items())), order=dict(sorted(self.orders.items())),
            payment=dict(sorted(self.payments.items())),
            nodes={k: NodeCounts(**vars(v)) for k, v in sorted(self.nodes.items())}, updated_at=time.time())

    def write_meta(self) -> Path:
        """Write the meta file atomically (a reader never sees half of it)."""
        self.meta_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.meta_path.with_name(self.meta_path.name + ".tmp")
        tmp.write_text(self.meta().to_json(), encoding="utf-8")
        os.replace(tmp, self.meta_path)
        return self.meta_path


class Shipper:
    """Ships a process's buffer through `runner.send_message`; on a send error the entries stay buffered."""

    def __init__(self, buffer: LedgerBuffer, node: str) -> None:
        self.buffer = buffer
        self.node = node

    def payload(self, entries: list[LedgerEntry], final: bool, local: bool = False) -> dict:
        """`local`: the message stays in this process (LocalRunner), so the typed entries go as they are."""
        return {"node": self.node, "entries": list(entries) if local else [entry_to_wire(e) for e in entries],
                "started": self.buffer.started, "recorded": self.buffer.recorded, "final": final}

    def ship(self, runner, final: bool = False, local: bool = False) -> int:
        entries = self.buffer.take()
        if not entries and not final:
            return 0
        try:
            runner.send_message(MSG_LEDGER, self.payload(entries, final, local))
        except Exception:
            self.buffer.put_back(entries)
            raise
        return len(entries)


def on_ledger_message(writer: LedgerWriter, msg) -> None:
    """Master/local listener body for MSG_LEDGER."""
    d = msg.data or {}
    writer.receive(str(d.get("node") or msg.node_id), list(d.get("entries") or ()),
                   int(d.get("started", 0)), int(d.get("recorded", 0)), bool(d.get("final", False)))
