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

-- POST /orders in one round trip (one statement, its own transaction): take the key's lock (or answer busy), return
-- the first answer's record if the key was used, else write the order and its idempotency record. The caller
-- compares the request hash and decides the answer (stack/orders/service.py).
CREATE OR REPLACE FUNCTION place_order(p_id text, p_key text, p_status text, p_channel text, p_table text,
                                       p_items jsonb, p_total integer, p_note text, p_diner jsonb,
                                       p_created timestamptz, p_hash text, p_code integer, p_body text)
RETURNS TABLE (outcome text, first_hash text, first_code integer, first_body text)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended(p_key, 7401)) THEN
        RETURN QUERY SELECT 'busy'::text, NULL::text, NULL::integer, NULL::text;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'used'::text, k.request_hash, k.status_code, k.body FROM idempotency_keys k WHERE k.key = p_key;
    IF FOUND THEN
        RETURN;
    END IF;
    INSERT INTO orders (id, idempotency_key, status, channel, table_no, items, total_cents, note, diner,
                        created_at, updated_at)
    VALUES (p_id, p_key, p_status, p_channel, p_table, p_items, p_total, p_note, p_diner, p_created, p_created);
    INSERT INTO idempotency_keys (key, request_hash, order_id, status_code, body)
    VALUES (p_key, p_hash, p_id, p_code, p_body);
    RETURN QUERY SELECT 'placed'::text, NULL::text, NULL::integer, NULL::text;
END $$;
