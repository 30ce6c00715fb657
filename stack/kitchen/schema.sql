-- kitchen database: one ticket per paid order (the unique index is added by the service unless a defect drops it).
CREATE TABLE IF NOT EXISTS tickets (
    id          bigserial PRIMARY KEY,
    order_id    text NOT NULL,
    items       jsonb NOT NULL,
    total_cents integer NOT NULL,
    paid_at     timestamptz,
    received_at timestamptz NOT NULL DEFAULT now(),
    deliveries  integer NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS tickets_order ON tickets (order_id);
