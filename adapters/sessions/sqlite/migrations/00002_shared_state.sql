-- What a later step may need beyond its session, kept with the sessions
-- rather than on an instance's disk: the digest of each remembered
-- request (the same idempotency key with another request is refused), the
-- devices' saved connections, and the flow versions sessions run on.

-- +goose Up
ALTER TABLE session_requests ADD COLUMN digest BLOB NOT NULL DEFAULT x'';

-- A device's records (its credential store), one per name, opaque.
CREATE TABLE device_records (
	device TEXT NOT NULL,
	name   TEXT NOT NULL,
	data   BLOB NOT NULL,
	PRIMARY KEY (device, name)
) WITHOUT ROWID;

-- The flow versions sessions run on (catalog.Bundle as JSON).
CREATE TABLE flow_versions (
	hash   TEXT PRIMARY KEY,
	bundle BLOB NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE flow_versions;
DROP TABLE device_records;
ALTER TABLE session_requests DROP COLUMN digest;
