-- Drafts of imported guidance documents awaiting review (POST /api/v1/imports). A draft
-- is not a fact of the domain: only committing it issues the document as events.
CREATE TABLE import_drafts (
    id           uuid PRIMARY KEY,
    organisation text NOT NULL,
    filename     text,
    draft        bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    document_id  uuid
);
CREATE INDEX import_drafts_organisation ON import_drafts (organisation, created_at);
