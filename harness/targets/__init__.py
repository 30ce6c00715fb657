"""Targets: where the stack under test runs. One module each, registered in TARGETS.

The Target protocol below is the whole contract between a session (harness/session.py) and a stack; nothing
else of a target is read (no attribute probing). A target is made from the options (`make_target`: a bad
config is a UsageError before any run folder exists), then:
- `up(ctx)`: a context manager that starts or reaches the stack for the session `ctx` (its run folder, its
  events) and stops what it started on exit; the endpoints it yields are the target's own business.
- `diner_url`: where Locust's diners go; `diner_adapter`: the diner half they call it through ("module:Class"
  or "file.py:Class"; "" for the reference stack's, scenarios/adapters/reference.py); `probe()`: one order end to end, its one-line result.
- faults: `fault_client()` (Toxiproxy), `process_control()`, `gateway_control()`, `fault_proxy_restart()` —
  the last three None when the target offers none (a fault needing one is then refused at preflight).
- watching: `dead_services()` (names of services that died by themselves), `process_roots()` (name → pid of
  the process groups it started, for CPU figures; {} when it started none).
- reads: `databases` (DSNs of the systems of record, or None), `queue_depth()` (kitchen messages not yet
  acked), `backlog()` and `read_final()` (harness/targets/common.py builds both from the two before),
  `collect_logs()` into the run folder.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from harness.errors import UsageError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from harness.audit.history import Backlog, FinalReads
    from harness.reads import Databases
    from harness.session import RunContext

TARGETS = {
    "local": "harness.targets.local:LocalTarget",
    "external": "harness.targets.external:ExternalTarget",
    "compose": "harness.targets.compose:ComposeTarget",
    "adapter": "harness.targets.adapter:AdapterTarget",
}


class Target(Protocol):
    diner_url: str
    diner_adapter: str                  # "" = the reference stack's diner adapter

    @property
    def databases(self) -> "Databases | None": ...   # the systems of record, read directly (never proxied)

    def up(self, ctx: "RunContext") -> "AbstractContextManager[object]": ...
    def probe(self) -> str: ...
    def fault_client(self): ...        # faults.client.ToxiproxyClient (SetupError if the target has none)
    def process_control(self): ...     # faults.actuators.ProcessControl, or None if the target offers none
    def gateway_control(self): ...     # faults.actuators.GatewayControl, or None if the target offers none
    def fault_proxy_restart(self): ... # Callable[[], str] restarting its own Toxiproxy, or None (not ours)
    def dead_services(self) -> list[str]: ...
    def process_roots(self) -> dict[str, int]: ...
    def queue_depth(self) -> int: ...
    def backlog(self) -> "Backlog": ...
    def read_final(self) -> "FinalReads": ...
    def collect_logs(self) -> None: ...


def make_target(options) -> Target:
    """The target named by options.target, its config checked (bad usage raises before any run folder exists)."""
    try:
        module, cls = TARGETS[options.target].split(":")
    except KeyError:
        raise UsageError(f"unknown target {options.target!r}: choose one of {', '.join(TARGETS)}") from None
    return getattr(importlib.import_module(module), cls)(options)
