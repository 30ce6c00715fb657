"""The one table of faults, by name."""
from __future__ import annotations

from faults.catalog import (broker_restart, db_restart, db_stall, gateway_slow, gateway_timeout, kitchen_drop,
                            notify_drop, provider_declines, provider_errors, service_crash, service_pause,
                            weak_network, webhook_chaos)
from faults.catalog.base import Fault
from faults.errors import FaultError

FAULTS: dict[str, Fault] = {m.FAULT.name: m.FAULT for m in (
    weak_network, gateway_timeout, gateway_slow, kitchen_drop, notify_drop, db_stall,
    service_crash, service_pause, broker_restart, db_restart,
    provider_errors, provider_declines, webhook_chaos,
)}


def names() -> list[str]:
    return list(FAULTS)


def get(name: str) -> Fault:
    """The fault called `name`; an unknown name raises FaultError listing the valid ones."""
    try:
        return FAULTS[name]
    except KeyError:
        raise FaultError(f"unknown fault {name!r}; faults: {', '.join(FAULTS)}") from None
