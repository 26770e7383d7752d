-- Server-side sessions and password reset links.
--
-- A session's secret token lives only in the person's cookie; the table
-- keeps its SHA-256 (token_hash), so a copy of the database signs no one
-- in. id is the public handle the account page shows and ends sessions by.

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   BLOB    NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL,
    client_addr  TEXT    NOT NULL
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- A reset link made by an administrator (opslab user reset-link): single
-- use (used_at), expires, and a newer link of the account voids older ones
-- (they are deleted).
CREATE TABLE password_resets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash BLOB    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_at    TEXT
) STRICT;

CREATE INDEX password_resets_by_user ON password_resets (user_id);
