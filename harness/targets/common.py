"""What every target that reads SQL systems of record shares: the backlog and the final reads, from its
`databases`, its `queries` and its `queue_depth()` (one copy instead of one per target)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from harness.audit.history import Backlog, FinalReads
from harness.reads import ReadQueries, read_backlog, read_final

if TYPE_CHECKING:
    from harness.session import RunContext


def backlog_of(target, queries: ReadQueries) -> Backlog:
    """Outbox rows not sent, kitchen messages not acked, payments pending: what the drain waits for."""
    return read_backlog(target.databases, queries, target.queue_depth())


def final_reads_of(target, queries: ReadQueries, since: float | None = None) -> FinalReads:
    """Every order, charge and ticket (`since`: only those created after, for a long-lived stack)."""
    return read_final(target.databases, queries, target.queue_depth(), since=since)


def since_load_began(ctx: "RunContext | None") -> float | None:
    """A second before the session's first Locust started (rows before it belong to earlier runs), or None."""
    launched = ctx.load_launched_wall if ctx is not None else None
    return launched - 1.0 if launched else None
