"""The ledger sink: buffer → messages → master's file and meta; counted so nothing can go missing unseen."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from scenarios.ledger import Item, LedgerEntry, Told, read_ledger
from scenarios.ledger_sink import (MSG_LEDGER, LedgerBuffer, LedgerExistsError, LedgerWriter, Shipper, entry_to_wire,
                                   on_ledger_message)
from scenarios.options import meta_path_for


def _entry(i: int, order: Told = Told.OK) -> LedgerEntry:
    return LedgerEntry(key=f"k{i}", kind="dine_in", items=(Item("D01", 2, 1800),), expected_total_cents=3600,
                       order=order, order_id=f"o{i}" if order is Told.OK else None,
                       payment=Told.OK if order is Told.OK else None, extra={"note": "少辣"})


@dataclass
class Msg:
    type: str
    data: dict
    node_id: str


@dataclass
class FakeRunner:
    """Delivers messages straight to the writer (like LocalRunner), or fails on demand."""

    writer: LedgerWriter
    fail: bool = False
    sent: list = field(default_factory=list)

    def send_message(self, msg_type, data=None, client_id=None):
        if self.fail:
            raise ConnectionError("master gone")
        self.sent.append((msg_type, data))
        on_ledger_message(self.writer, Msg(msg_type, json.loads(json.dumps(data)), "w1"))  # as if serialized


def _writer(tmp_path) -> LedgerWriter:
    p = tmp_path / "run" / "ledger.jsonl"
    return LedgerWriter(p, meta_path_for(p), run_id="r1", seed=7).open()


def test_meta_path_sits_next_to_the_ledger(tmp_path):
    assert meta_path_for(tmp_path / "ledger.jsonl") == tmp_path / "ledger.meta.json"
    assert meta_path_for(tmp_path / "x.log") == tmp_path / "x.log.meta.json"


def test_entries_shipped_are_written_once_and_counted(tmp_path):
    w = _writer(tmp_path)
    buf = LedgerBuffer()
    runner = FakeRunner(w)
    ship = Shipper(buf, "w1")
    for i in range(5):
        buf.intent_started()
        buf.record(_entry(i, Told.OK if i % 2 == 0 else Told.FAIL))
    assert ship.ship(runner) == 5 and len(buf) == 0
    assert ship.ship(runner) == 0 and len(runner.sent) == 1     # nothing to send, not final: no message
    buf.intent_started()
    buf.record(_entry(9))
    ship.ship(runner, final=True)
    entries = list(read_ledger(w.path.read_text(encoding="utf-8").splitlines()))
    assert [e.key for e in entries] == ["k0", "k1", "k2", "k3", "k4", "k9"]
    assert entries[0].extra["note"] == "少辣"
    meta = json.loads(w.write_meta().read_text())
    assert (meta["started"], meta["recorded"], meta["written"], meta["conserved"], meta["complete"]) == (6, 6, 6, True, True)
    assert meta["order"] == {"fail": 2, "ok": 4} and meta["payment"] == {"none": 2, "ok": 4}
    assert meta["nodes"]["w1"]["received"] == 6 and meta["seed"] == 7 and meta["ledger"] == "ledger.jsonl"
    assert runner.sent[0][0] == MSG_LEDGER


def test_a_failed_send_keeps_the_entries_for_the_next_try(tmp_path):
    w = _writer(tmp_path)
    buf = LedgerBuffer()
    buf.intent_started()
    buf.record(_entry(1))
    runner = FakeRunner(w, fail=True)
    with pytest.raises(ConnectionError):
        Shipper(buf, "w1").ship(runner)
    assert len(buf) == 1
    runner.fail = False
    Shipper(buf, "w1").ship(runner)
    assert w.written == 1 and len(buf) == 0


def test_an_intent_started_but_not_written_shows_in_the_meta(tmp_path):
    w = _writer(tmp_path)
    buf = LedgerBuffer()
    buf.intent_started()
    buf.intent_started()
    buf.record(_entry(1))
    Shipper(buf, "w1").ship(FakeRunner(w))
    meta = w.meta()
    assert (meta.started, meta.written, meta.conserved, meta.complete) == (2, 1, False, False)


def test_counts_from_two_workers_add_up_and_finals_are_tracked(tmp_path):
    w = _writer(tmp_path)
    w.receive("a", [entry_to_wire(_entry(1))], started=1, recorded=1, final=False)
    w.receive("b", [entry_to_wire(_entry(2)), entry_to_wire(_entry(3))], started=2, recorded=2, final=True)
    assert w.finals_missing(["a", "b", "c"]) == ["a", "c"]
    w.receive("a", [], started=1, recorded=1, final=True)
    assert w.finals_missing(["a", "b"]) == [] and w.started == 3 and w.written == 3
    w.new_test()
    assert w.finals_missing(["a", "b"]) == ["a", "b"]


def test_an_existing_ledger_is_never_overwritten(tmp_path):
    p = tmp_path / "ledger.jsonl"
    p.write_text(_entry(1).to_json() + "\n")
    with pytest.raises(LedgerExistsError, match="--dinerush-ledger"):
        LedgerWriter(p, meta_path_for(p)).open()
    assert p.read_text().count("\n") == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    LedgerWriter(empty, meta_path_for(empty)).open().close()


def test_a_malformed_entry_is_refused_before_anything_is_written(tmp_path):
    w = _writer(tmp_path)
    with pytest.raises((KeyError, ValueError)):
        w.receive("a", [entry_to_wire(_entry(1)), {"key": "x"}], started=2, recorded=2, final=False)
    assert w.written == 0 and w.path.read_text() == ""


def test_a_worker_that_never_shipped_leaves_the_ledger_incomplete(tmp_path):
    w = _writer(tmp_path)
    w.receive("a", [entry_to_wire(_entry(1))], started=1, recorded=1, final=True)
    assert w.meta().complete is True
    w.expect(["a", "silent"])                      # the master knows a worker that never sent a batch
    assert w.meta().complete is False and w.finals_missing(["a", "silent"]) == ["silent"]
