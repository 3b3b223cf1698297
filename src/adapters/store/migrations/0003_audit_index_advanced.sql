-- The NATS relay routes each event by its audit index row, so it follows the log only
-- as far as the audit index has got. It is told the moment the index moves on, rather
-- than polling it: one notification per committed batch of the index, sent by the
-- index runner's own transaction (the only transaction that notifies on this channel).
CREATE FUNCTION audit_index_advanced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('khoagiao_audit_index', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_index_advanced
    AFTER INSERT OR UPDATE ON projection_checkpoints
    FOR EACH ROW WHEN (NEW.name = 'audit_index')
    EXECUTE FUNCTION audit_index_advanced();
