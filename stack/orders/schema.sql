-- orders database: orders, the idempotency record of each answered POST /orders, and the kitchen outbox.
CREATE TABLE IF NOT EXISTS orders (
    id              text PRIMARY KEY,
    idempotency_key text NOT NULL,
    status          text NOT NULL,
    channel         text NOT NULL,
    table_no        text,
    items           jsonb NOT NULL,          -- [{dish_id, qty, unit_cents}]
    total_cents     integer NOT NULL CHECK (total_cents >= 0),
    note            text,
    diner           jsonb,
    card            text,                    -- card token given at pay (the reconciler re-issues with it)
    charge_id       text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    pending_since   timestamptz,
    paid_at         timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_key ON orders (idempotency_key);
CREATE INDEX IF NOT EXISTS orders_pending ON orders (pending_since) WHERE status = 'PAYMENT_PENDING';

CREATE TABLE IF NOT EXISTS idempotency_keys (
    key          text PRIMARY KEY,
    request_hash text NOT NULL,
    order_id     text NOT NULL REFERENCES orders (id),
    status_code  integer NOT NULL,
    body         text NOT NULL,           -- the first answer, byte for byte
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS outbox (
    id         bigserial PRIMARY KEY,
    order_id   text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
