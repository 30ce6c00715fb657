"""Errors of the faults package. `faults` does not import `harness`: the harness maps `FaultError`
to its own exit codes (a fault that does not apply makes the run inconclusive; a bad schedule is usage)."""
from __future__ import annotations

from dataclasses import dataclass

from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists


class FaultError(Exception):
    """A fault could not be applied, healed or read back; `str(err)` is one line naming the fix."""


def is_interrupt(err: BaseException) -> bool:
    """Ctrl-C, SIGTERM (the harness raises its own BaseException), SystemExit: not the fault's error. Whoever
    meets one finishes the heal under way, stamps what happened and lets it through unwrapped."""
    return not isinstance(err, Exception)


def first_error(errors: list[BaseException]) -> BaseException:
    """The error to raise after healing went on past several: an interrupt first, else the first error."""
    return next((e for e in errors if is_interrupt(e)), errors[0])


class ToxiproxyError(FaultError):
    """The Toxiproxy server refused a change, is down, or did not hold what we asked for."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ToxiproxyUnresponsive(ToxiproxyError):
    """The server accepted the connection but did not answer in time: its API is wedged (upstream issue 558:
    a toxic removed under traffic can block the proxy's toxic lock forever). Only a restart heals it."""


# The toxiproxy-python exception types, so callers catching those still catch ours.
class ToxiproxyConflict(ToxiproxyError, ProxyExists):
    """409: a proxy or toxic of that name already exists."""


class ToxiproxyNotFound(ToxiproxyError, NotFound):
    """404: no such proxy or toxic."""


class ToxiproxyBadRequest(ToxiproxyError, InvalidToxic):
    """400: the server rejected the body (bad toxic type, bad attribute, ...)."""


class ParamError(FaultError):
    """A fault parameter is unknown, of the wrong type or out of range (usage error)."""


@dataclass(frozen=True)
class Problem:
    """One mistake in a schedule file, at a line (1-based; 0 when the file as a whole is wrong)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class ScheduleError(FaultError):
    """A schedule file has mistakes; `problems` lists every one with its line (usage error)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid schedule"
        more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)
