-- What a later step may need beyond its session, kept with the sessions
-- so that any instance can take any step: the digest of each remembered
-- request (the same idempotency key with another request is refused), the
-- devices' saved connections, and the rate limits' counters.

-- +goose Up
ALTER TABLE session_requests ADD COLUMN digest bytea NOT NULL DEFAULT '\x'::bytea;

-- A device's records (its credential store), one per name, opaque.
CREATE TABLE device_records (
	device text NOT NULL,
	name   text NOT NULL,
	data   bytea NOT NULL,
	PRIMARY KEY (device, name)
);

-- One row per rate-limit bucket: its theoretical arrival time (GCRA), in
-- nanoseconds since the Unix epoch. Unlogged: a crash forgets the
-- counters, which costs a client at most a fresh burst, and a request
-- pays no WAL flush for them.
CREATE UNLOGGED TABLE rate_limits (
	bucket text PRIMARY KEY,
	tat    bigint NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE device_records;
ALTER TABLE session_requests DROP COLUMN digest;
