-- Invite links: a team lead (or an admin) makes a link that lets learners
-- join one team until it expires, is revoked or has been used max_uses
-- times.
--
-- Only the SHA-256 of the token (64 lower-case hex digits) is stored: the
-- token itself is shown once, when the link is made, so a copy of the
-- database cannot be used to join a team. created_by becomes NULL when the
-- user who made the link is deleted; the link stays valid.

CREATE TABLE team_invites (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL CHECK (expires_at > created_at),
    max_uses   INTEGER NOT NULL DEFAULT 1 CHECK (max_uses >= 1),
    uses       INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
    revoked_at TEXT
) STRICT;

CREATE INDEX team_invites_team ON team_invites (team_id);
-- Deleting a user looks up the links they made (ON DELETE SET NULL).
CREATE INDEX team_invites_created_by ON team_invites (created_by);
