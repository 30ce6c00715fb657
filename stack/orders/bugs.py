"""Seeded defects of the orders API and outbox relay: each the smallest hurried change, off by default."""
from __future__ import annotations

from dataclasses import dataclass

DESCRIPTIONS: dict[str, str] = {
    "no-idempotency": "orders: ignores the Idempotency-Key, so every retry makes a new order",
    "publish-before-commit": "orders: publishes the kitchen ticket inline when payment succeeds (no outbox); "
                             "a failed publish is logged and forgotten",
    "charge-without-key": "orders: charges the gateway without an idempotency key, so a retried charge is a second charge",
    "no-reconcile": "orders: a gateway timeout marks the order PAYMENT_FAILED at once, without asking the gateway",
    "provider-5xx-declines": "orders: a gateway 5xx is taken as a definite decline (no retry, no reconcile), "
                             "though the provider may have stored the charge before it erred",
    "soft-decline-retry": "orders: a soft decline (try_again_later) answers the diner 402 at once but retries the "
                          "charge in the background with a new key, which may capture it",
    "notify-latest-wins": "orders: a payment callback's status is applied as the latest word whatever the order's "
                          "state, so a stale `declined` flips a PAID order",
}


@dataclass(frozen=True)
class Bugs:
    """Which orders defects are switched on (built from the `--bug` names)."""

    no_idempotency: bool = False
    publish_before_commit: bool = False
    charge_without_key: bool = False
    no_reconcile: bool = False
    provider_5xx_declines: bool = False
    soft_decline_retry: bool = False
    notify_latest_wins: bool = False

    @classmethod
    def from_names(cls, names: frozenset[str] | set[str]) -> "Bugs":
        return cls(**{n.replace("-", "_"): True for n in names if n in DESCRIPTIONS})
