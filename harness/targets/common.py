"""What every target that reads SQL systems of record shares: the backlog and the final reads, from its
`databases`, its `queries` and its `queue_depth()` (one copy instead of one per target)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from harness.audit.history import Backlog, FinalReads
from harness.errors import UsageError
from harness.reads import ReadQueries, read_backlog, read_final

if TYPE_CHECKING:
    from harness.session import RunContext


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def read_config(path: Path, how: str) -> dict:
    """A target config's TOML; a missing or malformed file is one usage error (`how`: where to read about it)."""
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"target config {path} not found: pass --config FILE ({how})") from None
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: {err}") from None


def require_loopback(path: Path, addresses: list[str]) -> None:
    """Every address a config names is on this machine, unless --allow-remote (then this is not called)."""
    for where in addresses:
        host = urlsplit(where).hostname or ""
        if host not in LOCAL_HOSTS:
            raise UsageError(f"{path}: {host or where!r} is outside 127.0.0.1: pass --allow-remote "
                             "if you really mean to load that host")


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
