"""What the columnar fast path (harness.audit.columnar) took off the Python audit: the clean intents, as counts.

A clean intent is one no checker could say anything about (the columnar module's CLEAN_SQL lists the conditions);
it and its rows are left out of the Index, and the consumers that count over every intent (engine, figures,
evidence, kitchen lags) add these numbers back. The ledger-wide figures need every entry, clean or not, so they
are computed columnar over the whole ledger (`Whole`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Whole:
    """Figures over every ledger entry and every ticket row, computed columnar (dicts in first-seen order, as
    `Counter` over the entries would give them)."""

    intents: int
    intents_by_kind: dict[str, int]
    told_order: dict[str, int]
    told_payment: dict[str, int]
    order_retried: int
    order_extra_attempts: int
    payment_retried: int
    payment_extra_attempts: int
    kitchen_redelivered_tickets: int
    kitchen_redeliveries: int
    first_started: float          # min started_at over the ledger (0.0 when empty), as judge() needs it


@dataclass(frozen=True, eq=False)
class CleanPart:
    """The clean intents: every one has an order row; a paid one (PAID, one captured charge, one ticket) or an
    unpaid one (payment never tried, order PLACED, no charge, no ticket)."""

    intents: int
    orders: int                   # = intents: one order row each
    captured: int                 # paid ones: one captured charge each
    tickets: int                  # paid ones: one ticket each
    paid_end_to_end: int          # paid ones told ok twice
    orders_ok: int                # order told ok (else unknown: recovered)
    paid_ok: int                  # paid, payment told ok (charge and ticket ok)
    paid_recovered: int           # paid, payment told unknown (charge and ticket recovered)
    unpaid: int                   # never paid: charge and ticket absent
    kitchen_paid: np.ndarray      # paid_at of the paid ones whose paid_at is set (epoch s)
    kitchen_received: np.ndarray  # their ticket's received_at, aligned
    whole: Whole
