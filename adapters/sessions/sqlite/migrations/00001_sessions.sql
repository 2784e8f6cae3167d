-- The sessions, their event logs, the side effects their steps made and
-- the client requests they answered. Times are nanoseconds since the Unix
-- epoch (NULL: none).

-- +goose Up
CREATE TABLE sessions (
	id            TEXT PRIMARY KEY,
	version       INTEGER NOT NULL,
	flow          TEXT NOT NULL,
	region        TEXT NOT NULL,
	hash          TEXT NOT NULL,
	done          INTEGER NOT NULL,
	due           INTEGER,
	expires       INTEGER,
	updated       INTEGER,
	data          BLOB NOT NULL,
	-- the end of the lease ClaimDue took on the session's timer; NULL
	-- when no claim holds
	claimed_until INTEGER
);

-- ClaimDue: the earliest due of the sessions that have a timer.
CREATE INDEX sessions_due ON sessions (due, id) WHERE NOT done AND due IS NOT NULL;
-- Reap: the earliest to expire.
CREATE INDEX sessions_expires ON sessions (expires, id) WHERE expires IS NOT NULL;

CREATE TABLE session_log (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	data       BLOB NOT NULL,
	PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

CREATE TABLE session_effects (
	id         INTEGER PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	effect_key TEXT NOT NULL,
	kind       TEXT NOT NULL,
	data       BLOB NOT NULL
);
CREATE INDEX session_effects_session ON session_effects (session_id, id);

CREATE TABLE session_requests (
	session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	request_key TEXT NOT NULL,
	response    BLOB NOT NULL,
	PRIMARY KEY (session_id, request_key)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE session_requests;
DROP TABLE session_effects;
DROP TABLE session_log;
DROP TABLE sessions;
