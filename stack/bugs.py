"""The registry of every seeded defect in the stack: {name: one-line description}, the union of stack/*/bugs.py.

Every process accepts any name here and acts only on its own; an unknown name is a usage error (exit 64).
"""
from __future__ import annotations

import sys

from stack.kitchen import bugs as kitchen_bugs
from stack.orders import bugs as orders_bugs
from stack.payments import bugs as payments_bugs

REGISTRY: dict[str, str] = {**orders_bugs.DESCRIPTIONS, **payments_bugs.DESCRIPTIONS, **kitchen_bugs.DESCRIPTIONS}
EXIT_USAGE = 64


class UnknownBug(ValueError):
    """A `--bug` name that no service knows."""


def validate(names: list[str] | None) -> frozenset[str]:
    """The given names as a set; an unknown one raises UnknownBug naming the valid names."""
    chosen = frozenset(names or ())
    unknown = sorted(chosen - REGISTRY.keys())
    if unknown:
        raise UnknownBug(f"unknown --bug {', '.join(unknown)}: valid names are {', '.join(sorted(REGISTRY))}")
    return chosen


def validate_or_exit(names: list[str] | None) -> frozenset[str]:
    """CLI form of validate(): one line to stderr and exit 64 on an unknown name."""
    try:
        return validate(names)
    except UnknownBug as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
