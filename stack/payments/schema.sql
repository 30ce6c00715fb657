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
