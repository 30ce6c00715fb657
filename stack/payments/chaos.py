"""The simulated provider's chaos control: how often it errs, declines good cards and misdelivers webhooks.

Set through `POST /admin/chaos` (merged into the current settings), read with `GET`, cleared with `DELETE`.
The admin routes exist only when the gateway was started with `--chaos-token` and answer only requests that
carry it in `X-Chaos-Token`: diners reach the orders API alone, and even a stray caller cannot flip chaos on.
"""
from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TOKEN_HEADER = "X-Chaos-Token"
INJECTED_DECLINE = "try_again_later"   # the soft decline code of a good card declined by chaos
CARD_DECLINE = "card_declined"         # the hard decline of the test card tok_declined


class ChaosSettings(BaseModel):
    """What the provider does wrong; all zero is a well-behaved provider. Unknown keys and wrong types are 422."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of POST /charges answered 5xx")
    error_when: Literal["before", "after", "both"] = Field(
        default="before", description="5xx before anything is stored, after the charge is stored, or either")
    decline_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of good cards declined (soft)")
    notify_delay_ms: int = Field(default=0, ge=0, le=60_000, description="every callback starts this late")
    notify_duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of callbacks sent twice")
    notify_reorder_rate: float = Field(default=0.0, ge=0.0, le=1.0,
                                       description="share of captured charges followed by a stale `declined`")
    notify_reorder_lag_ms: int = Field(default=500, ge=0, le=60_000,
                                       description="how long after the `captured` callback the stale one comes")


class Chaos:
    """The current settings and the dice; one per app (no module-level state)."""

    def __init__(self, seed: int | None = None) -> None:
        self.settings = ChaosSettings()
        self.rng = random.Random(seed)

    def update(self, changes: dict) -> ChaosSettings:
        """Merge `changes` into the settings, validated whole (raises pydantic.ValidationError)."""
        self.settings = ChaosSettings.model_validate({**self.settings.model_dump(), **changes})
        return self.settings

    def clear(self) -> ChaosSettings:
        self.settings = ChaosSettings()
        return self.settings

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def error(self, when: Literal["before", "after"]) -> bool:
        s = self.settings
        return s.error_when in (when, "both") and self.roll(s.error_rate)
