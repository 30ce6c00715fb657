"""Seeded defects of the simulated payment gateway: none yet (the gateway plays a well-behaved third party)."""
from __future__ import annotations

from dataclasses import dataclass

DESCRIPTIONS: dict[str, str] = {}


@dataclass(frozen=True)
class Bugs:
    """Gateway defects switched on (there are none; kept so every service parses `--bug` the same way)."""

    @classmethod
    def from_names(cls, names: frozenset[str] | set[str]) -> "Bugs":
        return cls()
