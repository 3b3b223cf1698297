-- The first response to each (caller, Idempotency-Key): a retry gets it back instead of
-- acting twice. A row commits in the same transaction as the events it answers for, so
-- a key is recorded exactly when its write happened. Kept at least 24 hours.
CREATE TABLE idempotency_keys (
    principal   text NOT NULL,
    key         text NOT NULL,
    fingerprint text NOT NULL,
    status      integer NOT NULL,
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
