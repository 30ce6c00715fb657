"""ProcessControl for someone else's stack: shell commands from the target config, one table per part.

    [processes.kitchen]                 # any part: orders, relay, gateway, kitchen, rabbitmq, postgres
    kill = "systemctl kill -s KILL kds" # each command returns once done (start: once the part answers)
    start = "systemctl start kds && curl -fsS --retry 20 --retry-connrefused http://127.0.0.1:8200/health"
    pause = "systemctl kill -s STOP kds"
    resume = "systemctl kill -s CONT kds"
    timeout = 60                        # seconds per command (default 30)

A command is run with `sh -c`, bounded by its timeout; a non-zero exit or the timeout is a FaultError with the
command's last output. A fault that needs a command the config lacks fails preflight naming the key to add.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from faults.actuators import PARTS
from faults.errors import FaultError
from harness.errors import UsageError

ACTIONS = ("kill", "start", "pause", "resume")
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PartCommands:
    kill: str | None = None
    start: str | None = None
    pause: str | None = None
    resume: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass(frozen=True)
class CommandControl:
    """The `[processes.*]` tables of a target config (`source` names the file in every message)."""

    source: str
    commands: Mapping[str, PartCommands]

    @classmethod
    def parse(cls, path: Path, raw: object) -> "CommandControl":
        """From the config's `processes` value (absent: no commands); a mistake is a UsageError naming the key."""
        if raw is None:
            return cls(str(path), {})
        if not isinstance(raw, dict):
            raise UsageError(f"{path}: [processes] must hold one table per part, e.g. [processes.kitchen]")
        out: dict[str, PartCommands] = {}
        for part, table in raw.items():
            key = f"[processes.{part}]"
            if part not in PARTS:
                raise UsageError(f"{path}: {key}: unknown part; parts: {', '.join(PARTS)}")
            if not isinstance(table, dict):
                raise UsageError(f"{path}: {key} must be a table of commands ({', '.join(ACTIONS)}, timeout)")
            unknown = sorted(set(table) - {*ACTIONS, "timeout"})
            if unknown:
                raise UsageError(f"{path}: {key} has no key {unknown[0]!r}; keys: {', '.join(ACTIONS)}, timeout")
            for action in ACTIONS:
                if action in table and (not isinstance(table[action], str) or not table[action].strip()):
                    raise UsageError(f"{path}: {key} {action} must be a non-empty shell command string")
            timeout = table.get("timeout", DEFAULT_TIMEOUT_S)
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
                raise UsageError(f"{path}: {key} timeout must be a number of seconds > 0, not {timeout!r}")
            out[part] = PartCommands(**{a: table.get(a) for a in ACTIONS}, timeout_s=float(timeout))
        return cls(str(path), out)

    # -- ProcessControl ---------------------------------------------------------------------------------
    def parts(self) -> tuple[str, ...]:
        return tuple(self.commands)

    def check(self, part: str, actions: tuple[str, ...]) -> None:
        cmds = self.commands.get(part, PartCommands())
        for action in actions:
            if getattr(cmds, action, None) is None:
                raise FaultError(f"the target config {self.source} has no {action} command for {part}: "
                                 f"add {action} = \"...\" under [processes.{part}]")

    def kill(self, part: str) -> str:
        return self._run(part, "kill")

    def start(self, part: str) -> str:
        return self._run(part, "start")

    def pause(self, part: str) -> str:
        return self._run(part, "pause")

    def resume(self, part: str) -> str:
        return self._run(part, "resume")

    def _run(self, part: str, action: str) -> str:
        self.check(part, (action,))
        cmds = self.commands[part]
        command = getattr(cmds, action)
        try:
            done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=cmds.timeout_s,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise FaultError(f"[processes.{part}] {action} did not finish in {cmds.timeout_s:g}s: {command}") from None
        if done.returncode != 0:
            tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-3:])
            raise FaultError(f"[processes.{part}] {action} exited {done.returncode}: {command}"
                             + (f" ({tail})" if tail else ""))
        return f"{part} {action}: {command}"

