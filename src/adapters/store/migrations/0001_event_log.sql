-- The event log: one append-only table, the single source of truth.
--
-- position       unique, roughly increasing id of an event; the public cursor.
-- transaction_id the writing transaction (xid8). Followers read in
--                (transaction_id, position) order and only below the oldest
--                running transaction, so a commit that lands late is never skipped
--                (see docs/design.md, "Following the log").
-- hash           sha256 chained over the previous event of the same stream.
CREATE TABLE events (
    position              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id              uuid NOT NULL UNIQUE,
    stream_id             uuid NOT NULL,
    stream_type           text NOT NULL,
    version               integer NOT NULL CHECK (version > 0),
    type                  text NOT NULL,
    payload               json NOT NULL,
    actor_organization_id text,
    actor_token_id        text,
    correlation_id        uuid,
    causation_id          uuid,
    request_id            text,
    recorded_at           timestamptz NOT NULL,
    hash                  bytea NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

CREATE INDEX events_log_order ON events (transaction_id, position);
CREATE INDEX events_recorded_at ON events (recorded_at);

CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
