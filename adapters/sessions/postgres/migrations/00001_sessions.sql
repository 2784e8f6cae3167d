-- The sessions, their event logs, the side effects their steps made and
-- the client requests they answered. Times are nanoseconds since the Unix
-- epoch (NULL: none), which round-trip exactly where timestamptz would
-- keep microseconds.

-- +goose Up
CREATE TABLE sessions (
	id            text PRIMARY KEY,
	version       bigint NOT NULL,
	flow          text NOT NULL,
	region        text NOT NULL,
	hash          text NOT NULL,
	done          boolean NOT NULL,
	due           bigint,
	expires       bigint,
	updated       bigint,
	data          bytea NOT NULL,
	-- the end of the lease ClaimDue took on the session's timer; NULL
	-- when no claim holds
	claimed_until bigint
);

-- ClaimDue: the earliest due of the sessions that have a timer.
CREATE INDEX sessions_due ON sessions (due, id) WHERE NOT done AND due IS NOT NULL;
-- Reap: the earliest to expire.
CREATE INDEX sessions_expires ON sessions (expires, id) WHERE expires IS NOT NULL;

CREATE TABLE session_log (
	session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	seq        bigint NOT NULL,
	data       bytea NOT NULL,
	PRIMARY KEY (session_id, seq)
);

CREATE TABLE session_effects (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	effect_key text NOT NULL,
	kind       text NOT NULL,
	data       bytea NOT NULL
);
CREATE INDEX session_effects_session ON session_effects (session_id, id);

CREATE TABLE session_requests (
	session_id  text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	request_key text NOT NULL,
	response    bytea NOT NULL,
	PRIMARY KEY (session_id, request_key)
);

-- +goose Down
DROP TABLE session_requests;
DROP TABLE session_effects;
DROP TABLE session_log;
DROP TABLE sessions;
