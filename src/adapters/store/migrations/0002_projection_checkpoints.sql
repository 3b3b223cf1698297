-- Where each projection has got to in the log. A projection writes its rows and its
-- checkpoint in one transaction, so each event takes effect exactly once.
CREATE TABLE projection_checkpoints (
    name           text PRIMARY KEY,
    transaction_id xid8 NOT NULL,
    position       bigint NOT NULL,
    events         bigint NOT NULL DEFAULT 0,
    recorded_at    timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
