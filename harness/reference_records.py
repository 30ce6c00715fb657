"""The reference stack's audit half as a RecordsAdapter: its three PostgreSQL databases through harness.reads.

With scenarios.adapters.reference:ReferenceAdapter it makes the reference stack one adapter among others:
`--target adapter` runs it exactly as a foreign stack (settings: orders, gateway, kitchen DSNs; optionally
rabbit_node, rabbit_dist_port, rabbit_cookie_file for the kitchen queue's depth in the drain).
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.audit.history import Backlog
from harness.reads import Databases, ReadQueries, read_backlog, read_charges, read_orders, read_tickets
from harness.records import RecordsAdapter

QUEUE = "kitchen.tickets"


@dataclass
class ReferenceRecords(RecordsAdapter):
    """Orders, charges and tickets from the reference schema (harness.reads.ReadQueries); settled = outbox sent,
    kitchen queue empty, nothing PAYMENT_PENDING."""

    queries: ReadQueries = ReadQueries()

    @property
    def databases(self) -> Databases:
        return Databases(self.setting("orders"), self.setting("gateway"), self.setting("kitchen"))

    def orders(self):
        return read_orders(self.databases, self.queries)

    def charges(self):
        return read_charges(self.databases, self.queries)

    def tickets(self):
        return read_tickets(self.databases, self.queries)

    def _queue_messages(self) -> int:
        if "rabbit_node" not in self.settings:
            return 0
        from harness.runtime.rabbitmq import RabbitControl
        rabbit = RabbitControl(node=self.setting("rabbit_node"), dist_port=int(self.setting("rabbit_dist_port")),
                               cookie_file=self.setting("rabbit_cookie_file"))
        depth = rabbit.queue_depth(QUEUE)
        return depth.total if depth is not None else 0

    def in_flight(self, orders=None) -> Backlog:
        return read_backlog(self.databases, self.queries, self._queue_messages())
