"""final_reads.json: written one row per line, read back line by line (or whole, for any other layout)."""
import dataclasses
import json

import pytest

from harness.audit.history import Backlog, ChargeRow, FinalReads, OrderRow, TicketRow
from scenarios.ledger import Item

CART = (Item("D01", 2, 1800), Item("D05", 1, 350))
READS = FinalReads(
    orders=(OrderRow("o1", "k1", "PAID", CART, 3950, 1.5, 2.5), OrderRow("o2", "k2", "PLACED", (), 0, 1.0),
            OrderRow("o3", "k3 \"少辣\"\n", "PAID", CART, 3950, 1.25, 2.75)),
    charges=(ChargeRow("c1", "o1", 3950, "captured", 2.0), ChargeRow("c2", "o3", 3950, "declined", 2.1, True)),
    tickets=(TicketRow("o1", CART, 3950, 3.0), TicketRow("o3", CART[:1], 3600, 3.5, 2)),
    backlog=Backlog(outbox_unsent=1, queue_messages=2, payments_pending=3), read_at=9.5)


def test_round_trip_one_row_per_line():
    text = READS.to_json()
    assert json.loads(text) == json.loads(json.dumps(dataclasses.asdict(READS)))   # the same document as before
    assert text.count("\n") == len(READS.orders) + len(READS.charges) + len(READS.tickets) + 10
    back = FinalReads.from_json(text)
    assert back == READS
    assert back.orders[0].items is back.tickets[0].items        # equal carts share one tuple


def test_absent_systems_survive_the_round_trip(tmp_path):
    """A target without a kitchen: 'not applicable' must not turn into 'present and empty' on re-audit."""
    reads = dataclasses.replace(READS, tickets=(), absent=("tickets",))
    (tmp_path / "final_reads.json").write_text(reads.to_json())
    assert FinalReads.from_json(reads.to_json()).absent == ("tickets",)
    assert FinalReads.read(tmp_path / "final_reads.json") == reads


def test_older_layouts_and_empty_reads_still_load():
    old = json.dumps(dataclasses.asdict(READS), ensure_ascii=False, indent=0)   # what runs wrote before
    assert FinalReads.from_json(old) == READS
    no_backlog = json.loads(old)
    del no_backlog["backlog"], no_backlog["read_at"]
    assert FinalReads.from_json(json.dumps(no_backlog)).backlog == Backlog()
    empty = FinalReads((), (), ())
    assert FinalReads.from_json(empty.to_json()) == empty


def test_a_broken_file_is_an_error():
    with pytest.raises(ValueError):
        FinalReads.from_json(READS.to_json()[:-40])


def test_read_streams_a_file_of_either_layout(tmp_path):
    path = tmp_path / "final_reads.json"
    path.write_text(READS.to_json())
    assert FinalReads.read(path) == READS
    path.write_text(json.dumps(dataclasses.asdict(READS), ensure_ascii=False, indent=0))
    assert FinalReads.read(path) == READS
