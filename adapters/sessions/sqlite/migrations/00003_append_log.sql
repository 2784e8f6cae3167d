-- Log entries and remembered requests in the order they are written.
-- Keyed by (session_id, ...) with random session ids, a new row landed in
-- the middle of its table's B-tree and split pages there: a step wrote
-- about three pages of each. Rowid tables append a step's rows, those of
-- a group commit together, to the last page; a narrow index finds a
-- session's rows.
--
-- The unique indexes are made before the old tables go: their names
-- being taken, a second run of this migration (another process migrating
-- at the same time) fails and is rolled back.

-- +goose Up
CREATE TABLE session_log_new (
	id         INTEGER PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	data       BLOB NOT NULL
);
INSERT INTO session_log_new (session_id, seq, data)
	SELECT session_id, seq, data FROM session_log ORDER BY session_id, seq;
CREATE UNIQUE INDEX session_log_seq ON session_log_new (session_id, seq);
DROP TABLE session_log;
ALTER TABLE session_log_new RENAME TO session_log;

CREATE TABLE session_requests_new (
	id          INTEGER PRIMARY KEY,
	session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	request_key TEXT NOT NULL,
	digest      BLOB NOT NULL,
	response    BLOB NOT NULL
);
INSERT INTO session_requests_new (session_id, request_key, digest, response)
	SELECT session_id, request_key, digest, response FROM session_requests ORDER BY session_id, request_key;
CREATE UNIQUE INDEX session_requests_key ON session_requests_new (session_id, request_key);
DROP TABLE session_requests;
ALTER TABLE session_requests_new RENAME TO session_requests;

-- +goose Down
CREATE TABLE session_requests_old (
	session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	request_key TEXT NOT NULL,
	response    BLOB NOT NULL,
	digest      BLOB NOT NULL DEFAULT x'',
	PRIMARY KEY (session_id, request_key)
) WITHOUT ROWID;
INSERT INTO session_requests_old (session_id, request_key, response, digest)
	SELECT session_id, request_key, response, digest FROM session_requests;
DROP TABLE session_requests;
ALTER TABLE session_requests_old RENAME TO session_requests;

CREATE TABLE session_log_old (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	data       BLOB NOT NULL,
	PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
INSERT INTO session_log_old (session_id, seq, data) SELECT session_id, seq, data FROM session_log;
DROP TABLE session_log;
ALTER TABLE session_log_old RENAME TO session_log;
