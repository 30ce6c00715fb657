"""Seeded defects of the orders API and outbox relay: each the smallest hurried change, off by default."""
from __future__ import annotations

from dataclasses import dataclass

DESCRIPTIONS: dict[str, str] = {
    "no-idempotency": "orders: ignores the Idempotency-Key, so every retry makes a new order",
    "publish-before-commit": "orders: publishes the kitchen ticket inline when payment succeeds (no outbox); "
                             "a failed publish is logged and forgotten",
    "charge-without-key": "orders: charges the gateway without an idempotency key, so a retried charge is a second charge",
    "no-reconcile": "orders: a gateway timeout marks the order PAYMENT_FAILED at once, without asking the gateway",
    "timeout-says-declined": "orders: a gateway timeout is answered 402 \"card declined\" so the diner tries again; "
                             "the order is left pending and the reconciler later charges it",
    "pending-timeout": "orders: the reconciler gives up on a payment pending longer than 15 s and marks it "
                       "PAYMENT_FAILED without asking the gateway",
    "relay-transient": "relay: publishes kitchen tickets as transient messages (no disk write), so a broker restart "
                       "loses the ones still queued",
    "relay-one-connection": "relay: holds one database connection for its whole life instead of a pool, and never "
                            "opens a new one after a database restart",
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
    timeout_says_declined: bool = False
    pending_timeout: bool = False
    relay_transient: bool = False
    relay_one_connection: bool = False
    provider_5xx_declines: bool = False
    soft_decline_retry: bool = False
    notify_latest_wins: bool = False

    @classmethod
    def from_names(cls, names: frozenset[str] | set[str]) -> "Bugs":
        return cls(**{n.replace("-", "_"): True for n in names if n in DESCRIPTIONS})
