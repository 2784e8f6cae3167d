-- The flow versions sessions run on (catalog.Bundle as JSON), shared by
-- every instance on the database: a session started on one instance's
-- version can be restored on another's, whatever files that one has.

-- +goose Up
CREATE TABLE flow_versions (
	hash   text PRIMARY KEY,
	bundle bytea NOT NULL
);

-- +goose Down
DROP TABLE flow_versions;
