"""Errors that end a dinerush command with a one-line message and a known exit code."""
from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0             # every invariant and SLO held
    INVARIANT = 1      # a correctness invariant failed
    SLO = 2            # only an SLO failed
    INCONCLUSIVE = 3   # a fault did not apply, no steady state, the audit could not read
    USAGE = 64         # bad usage or config


class DinerushError(Exception):
    """A failure the user can fix; `str(err)` is one line that names the fix."""

    exit_code: Exit = Exit.INCONCLUSIVE


class UsageError(DinerushError):
    exit_code = Exit.USAGE


class SetupError(DinerushError):
    """A missing binary, a port in use, a dead service: the run cannot be judged."""

    exit_code = Exit.INCONCLUSIVE
