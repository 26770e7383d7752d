-- Initial schema.
--
-- Timestamps are TEXT in UTC, RFC 3339 with a fixed nine-digit fraction
-- ("2006-01-02T15:04:05.000000000Z"), so text order is time order and
-- MIN/MAX work on them. Booleans are INTEGER 0 or 1.

CREATE TABLE users (
    -- AUTOINCREMENT: an id is never reused, so a stale session cookie
    -- cannot name the next account created.
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('learner', 'instructor', 'lead', 'admin')),
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
) STRICT;

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slug       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
) STRICT;

CREATE TABLE team_members (
    team_id   INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lead      INTEGER NOT NULL DEFAULT 0 CHECK (lead IN (0, 1)),
    joined_at TEXT    NOT NULL,
    PRIMARY KEY (team_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE lesson_progress (
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course           TEXT    NOT NULL,
    lesson           TEXT    NOT NULL,
    first_viewed_at  TEXT    NOT NULL,
    last_activity_at TEXT    NOT NULL,
    completed_at     TEXT,
    time_spent_ms    INTEGER NOT NULL DEFAULT 0 CHECK (time_spent_ms >= 0),
    PRIMARY KEY (user_id, course, lesson)
) STRICT, WITHOUT ROWID;

CREATE TABLE exercise_attempts (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course        TEXT    NOT NULL,
    lesson        TEXT    NOT NULL,
    exercise      TEXT    NOT NULL,
    content_hash  TEXT    NOT NULL,
    passed        INTEGER NOT NULL CHECK (passed IN (0, 1)),
    -- JSON array of the failed checks' messages; '[]' when none failed.
    failed_checks TEXT    NOT NULL DEFAULT '[]'
                  CHECK (json_valid(failed_checks) AND json_type(failed_checks) = 'array'),
    kind          TEXT    NOT NULL CHECK (kind IN ('check', 'live')),
    created_at    TEXT    NOT NULL
) STRICT;

CREATE INDEX exercise_attempts_exercise
    ON exercise_attempts (user_id, course, lesson, exercise);

-- The first passing attempt of each exercise: later passes leave it alone.
CREATE TABLE exercise_passes (
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course       TEXT    NOT NULL,
    lesson       TEXT    NOT NULL,
    exercise     TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,
    passed_at    TEXT    NOT NULL,
    PRIMARY KEY (user_id, course, lesson, exercise)
) STRICT, WITHOUT ROWID;

CREATE TABLE hint_reveals (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course      TEXT    NOT NULL,
    lesson      TEXT    NOT NULL,
    exercise    TEXT    NOT NULL,
    hint_index  INTEGER NOT NULL CHECK (hint_index >= 0),
    revealed_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, course, lesson, exercise, hint_index)
) STRICT, WITHOUT ROWID;

-- Every reveal of a solution, in order.
CREATE TABLE solution_reveals (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course      TEXT    NOT NULL,
    lesson      TEXT    NOT NULL,
    exercise    TEXT    NOT NULL,
    revealed_at TEXT    NOT NULL
) STRICT;

CREATE INDEX solution_reveals_exercise
    ON solution_reveals (user_id, course, lesson, exercise);

-- Running sandboxes, so the sandbox manager can find and stop what a crashed
-- process left behind. No foreign key on user_id on purpose: deleting a user
-- must not erase the record of a process that still has to be stopped.
CREATE TABLE sandboxes (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    course       TEXT    NOT NULL,
    lesson       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    driver       TEXT    NOT NULL,
    pid          INTEGER CHECK (pid IS NULL OR pid > 0),
    dir          TEXT    NOT NULL DEFAULT '',
    address      TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    last_used_at TEXT    NOT NULL
) STRICT;

CREATE INDEX sandboxes_user ON sandboxes (user_id);
