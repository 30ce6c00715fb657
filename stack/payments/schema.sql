-- gateway database: the simulated payment provider's charges.
CREATE TABLE IF NOT EXISTS charges (
    id              text PRIMARY KEY,
    idempotency_key text,
    request_hash    text NOT NULL,
    merchant_ref    text NOT NULL,
    amount_cents    integer NOT NULL CHECK (amount_cents > 0),
    card            text NOT NULL,
    status          text NOT NULL,          -- captured | declined
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS charges_key ON charges (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS charges_ref ON charges (merchant_ref);
-- true when the chaos control declined a good card (the audit does not count it as a wrongful refusal)
ALTER TABLE charges ADD COLUMN IF NOT EXISTS injected boolean NOT NULL DEFAULT false;

-- POST /charges with an Idempotency-Key in one round trip (one statement, its own transaction): take the key's lock
-- (or answer busy), return the first charge if the key was used, else store the new one and return it. The caller
-- compares the request hash and decides the answer (stack/payments/app.py).
CREATE OR REPLACE FUNCTION charge_once(p_id text, p_key text, p_hash text, p_ref text, p_amount integer, p_card text,
                                       p_status text, p_injected boolean)
RETURNS TABLE (outcome text, id text, request_hash text, merchant_ref text, amount_cents integer, status text,
               injected boolean, created_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended(p_key, 7402)) THEN
        RETURN QUERY SELECT 'busy'::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text,
                            NULL::boolean, NULL::timestamptz;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'used'::text, c.id, c.request_hash, c.merchant_ref, c.amount_cents, c.status, c.injected,
                        c.created_at FROM charges c WHERE c.idempotency_key = p_key;
    IF FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY INSERT INTO charges AS c (id, idempotency_key, request_hash, merchant_ref, amount_cents, card, status,
                                           injected)
        VALUES (p_id, p_key, p_hash, p_ref, p_amount, p_card, p_status, p_injected)
        RETURNING 'new'::text, c.id, c.request_hash, c.merchant_ref, c.amount_cents, c.status, c.injected, c.created_at;
END $$;
