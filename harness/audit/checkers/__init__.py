"""The checkers, registered in ONE table: name -> pure function (Index) -> CheckResult.

Add a checker: write one module with NAME and check(ix), then add it to CHECKERS.
"""
from __future__ import annotations

from typing import Callable

from harness.audit.checkers import duplicated, lost, mismatch, refused, stuck, unexpected
from harness.audit.index import Index
from harness.audit.model import CheckResult

Checker = Callable[[Index], CheckResult]

CHECKERS: dict[str, Checker] = {
    m.NAME: m.check for m in (lost, duplicated, unexpected, mismatch, stuck, refused)
}
