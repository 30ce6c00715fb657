"""The audit half of the adapter contract, with a fake adapter: what collect() reads, leaves out and names absent."""
from __future__ import annotations

import pytest

from harness.audit.history import Backlog, ChargeRow, OrderRow, TicketRow
from harness.errors import SetupError
from harness.records import PAID, PAYMENT_PENDING, RecordsAdapter, collect, http_json
from scenarios.ledger import Item

CART = (Item("D01", 1, 500),)


class OrdersOnly(RecordsAdapter):
    """A stack that keeps orders only (no charges, no kitchen)."""

    def orders(self):
        return [OrderRow("o1", "run-1", PAID, CART, 500, 100.0, 101.0),
                OrderRow("o2", "run-2", PAYMENT_PENDING, CART, 500, 102.0),
                OrderRow("o0", "old-1", PAID, CART, 500, 10.0, 11.0),          # an earlier run's order
                OrderRow("p1", "probe-1", PAID, CART, 500, 100.5, 100.6)]      # the probe's


class Everything(OrdersOnly):
    def charges(self):
        return [ChargeRow("c1", "o1", 500, "captured", 100.5), ChargeRow("c0", "o0", 500, "captured", 10.5),
                ChargeRow("cp", "p1", 500, "captured", 100.55)]

    def tickets(self):
        return [TicketRow("o1", CART, 500, 101.5), TicketRow("p1", CART, 500, 100.7)]

    def in_flight(self, orders=None):
        return Backlog(outbox_unsent=3)


def test_missing_systems_are_named_absent_and_the_default_settled_counts_pending_payments():
    reads = collect(OrdersOnly())
    assert reads.absent == ("charges", "tickets")
    assert [o.order_id for o in reads.orders] == ["o1", "o2", "o0"]   # the probe's order is left out
    assert reads.backlog == Backlog(payments_pending=1)


def test_since_leaves_out_earlier_rows_and_a_custom_settled_is_used():
    reads = collect(Everything(), since=50.0)
    assert reads.absent == ()
    assert [o.order_id for o in reads.orders] == ["o1", "o2"]
    assert [c.charge_id for c in reads.charges] == ["c1"]
    assert [t.order_id for t in reads.tickets] == ["o1"]
    assert reads.backlog == Backlog(outbox_unsent=3)


def test_orders_are_required():
    with pytest.raises(NotImplementedError):
        collect(RecordsAdapter())


def test_a_missing_setting_names_the_key_to_add():
    with pytest.raises(SetupError, match=r"no 'dsn' under \[adapter.settings\]"):
        RecordsAdapter({"url": "x"}).setting("dsn")
    assert RecordsAdapter({"dsn": "postgresql://x"}).setting("dsn") == "postgresql://x"


def test_http_json_failure_is_one_setup_error_naming_the_url():
    with pytest.raises(SetupError, match="127.0.0.1:9/orders"):
        http_json("http://127.0.0.1:9/orders", timeout=1.0)


def test_the_reference_records_name_a_missing_database_setting():
    from harness.reference_records import ReferenceRecords
    with pytest.raises(SetupError, match=r"no 'kitchen' under \[adapter.settings\]"):
        ReferenceRecords({"orders": "postgresql://o", "gateway": "postgresql://g"}).tickets()
    assert ReferenceRecords({"orders": "o", "gateway": "g", "kitchen": "k"})._queue_messages() == 0
