-- What built each projection's tables: its DDL and its revision, fingerprinted
-- (projections.base.schema_fingerprint). A runner that finds another fingerprint — or
-- none, for tables built before this column — rebuilds the view before following on.
ALTER TABLE projection_checkpoints ADD COLUMN schema_fingerprint text;
