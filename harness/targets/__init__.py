"""Targets: where the stack under test runs. One module each, registered in TARGETS."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from harness.errors import UsageError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from harness.audit.history import Backlog, FinalReads

TARGETS = {
    "local": "harness.targets.local:LocalTarget",
    "external": "harness.targets.external:ExternalTarget",
    "compose": "harness.targets.compose:ComposeTarget",
    "adapter": "harness.targets.adapter:AdapterTarget",
}


class Target(Protocol):
    diner_url: str

    def up(self) -> "AbstractContextManager[object]": ...
    def probe(self) -> str: ...
    def fault_client(self): ...
    def process_control(self): ...     # faults.actuators.ProcessControl, or None if the target offers none
    def gateway_control(self): ...     # faults.actuators.GatewayControl, or None if the target offers none
    def fault_proxy_restart(self): ... # Callable[[], str] restarting its own Toxiproxy, or None (not ours)
    def dead_services(self) -> list[str]: ...
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
