"""runs/stack/state.json: which supervisor owns the detached stack, and where that stack answers."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness.errors import SetupError
from harness.runtime.local import Endpoints
from harness.runtime.procs import pid_alive

SUPERVISOR_FLAG = "--foreground-supervisor"


@dataclass(frozen=True)
class StackState:
    """runs/stack/state.json: who to signal on `down`, and where the detached stack answers."""

    pid: int                   # the supervisor
    child_pids: tuple[int, ...]  # leaders of the process groups it started
    endpoints: Endpoints
    probe: str

    def to_json(self) -> dict:
        return {"pid": self.pid, "child_pids": list(self.child_pids), "endpoints": self.endpoints.to_json(),
                "probe": self.probe}

    @classmethod
    def from_json(cls, data: dict) -> "StackState":
        return cls(pid=int(data["pid"]), child_pids=tuple(int(p) for p in data.get("child_pids", ())),
                   endpoints=Endpoints.from_json(data["endpoints"]), probe=str(data.get("probe", "")))


def state_path(runs: Path) -> Path:
    return runs / "stack" / "state.json"


def read_state(runs: Path) -> StackState | None:
    path = state_path(runs)
    try:
        return StackState.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as err:
        raise SetupError(f"unreadable {path} ({err}): check no supervisor runs (ps), then delete the file") from None


def write_state(runs: Path, state: StackState) -> None:
    path = state_path(runs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=1))
    os.replace(tmp, path)


def is_supervisor(pid: int) -> bool:
    """The pid is alive and is a `dinerush up --foreground-supervisor` (not a recycled pid)."""
    if not pid_alive(pid):
        return False
    try:
        return SUPERVISOR_FLAG.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
