"""Seeded defects of the kitchen display (KDS): each the smallest hurried change, off by default."""
from __future__ import annotations

from dataclasses import dataclass

DESCRIPTIONS: dict[str, str] = {
    "kitchen-auto-ack": "kitchen: consumes with auto-ack, so a message in flight when the link drops is gone",
    "kitchen-no-dedupe": "kitchen: no unique ticket per order, so a redelivery is shown twice",
    "kitchen-write-behind": "kitchen: acks each ticket at once and writes tickets in batches (100, or when the "
                            "queue goes quiet for 0.5 s) from memory, so a crash loses the unwritten batch",
}


@dataclass(frozen=True)
class Bugs:
    """Which kitchen defects are switched on (built from the `--bug` names)."""

    kitchen_auto_ack: bool = False
    kitchen_no_dedupe: bool = False
    kitchen_write_behind: bool = False

    @classmethod
    def from_names(cls, names: frozenset[str] | set[str]) -> "Bugs":
        return cls(**{n.replace("-", "_"): True for n in names if n in DESCRIPTIONS})
