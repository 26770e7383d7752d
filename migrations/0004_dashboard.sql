-- Team dashboard: running totals per learner and exercise.
--
-- The dashboard of a team of hundreds reads every learner's attempts,
-- failed checks and hints at once. Summing exercise_attempts on each read
-- costs time in proportion to everything the team ever tried, and live
-- checks add rows all day; these two tables hold the sums instead, kept by
-- triggers in the same transaction as each insert, so a read costs one row
-- per learner and exercise (and per failing check) whatever the history.
--
-- Attempts and hint reveals are only ever inserted (rows go when their user
-- is deleted, and so do these, by cascade). Anything that deletes or edits
-- them otherwise must rebuild these tables.
--
-- The times of exercise_activity are integer milliseconds since 1970 (UTC):
-- the dashboard reads thousands of them at once, and integers cost it
-- nothing to decode.

-- One row per user and exercise with any attempt or hint reveal.
CREATE TABLE exercise_activity (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course          TEXT    NOT NULL,
    lesson          TEXT    NOT NULL,
    exercise        TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0, -- of any kind
    failed_checks   INTEGER NOT NULL DEFAULT 0, -- failed attempts of kind check
    last_attempt_ms INTEGER,                    -- NULL without attempts
    passed_ms       INTEGER,                    -- the first passing attempt; NULL until passed
    hints           INTEGER NOT NULL DEFAULT 0, -- distinct hints revealed
    last_hint_ms    INTEGER,                    -- NULL without hints
    PRIMARY KEY (user_id, course, lesson, exercise)
) STRICT, WITHOUT ROWID;

-- One row per user, exercise and check that failed in an attempt of kind
-- check, counted from the "N: message" entries of failed_checks (entries
-- without a number are left out), with the message of its latest failure.
CREATE TABLE check_failures (
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course         TEXT    NOT NULL,
    lesson         TEXT    NOT NULL,
    exercise       TEXT    NOT NULL,
    number         INTEGER NOT NULL CHECK (number > 0),
    failures       INTEGER NOT NULL,
    message        TEXT    NOT NULL,
    last_failed_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, course, lesson, exercise, number)
) STRICT, WITHOUT ROWID;

-- What is already recorded.
INSERT INTO exercise_activity (user_id, course, lesson, exercise, attempts, failed_checks, last_attempt_ms, passed_ms)
SELECT user_id, course, lesson, exercise, COUNT(*), SUM(passed = 0 AND kind = 'check'),
    CAST(round(unixepoch(MAX(created_at), 'subsec') * 1000) AS INTEGER),
    CAST(round(unixepoch(MIN(CASE WHEN passed = 1 THEN created_at END), 'subsec') * 1000) AS INTEGER)
FROM exercise_attempts
GROUP BY user_id, course, lesson, exercise;

INSERT INTO exercise_activity (user_id, course, lesson, exercise, hints, last_hint_ms)
SELECT user_id, course, lesson, exercise, COUNT(*), CAST(round(unixepoch(MAX(revealed_at), 'subsec') * 1000) AS INTEGER)
FROM hint_reveals
WHERE true
GROUP BY user_id, course, lesson, exercise
ON CONFLICT (user_id, course, lesson, exercise) DO UPDATE SET
    hints = excluded.hints,
    last_hint_ms = excluded.last_hint_ms;

-- With one max() in the query, SQLite takes the bare column message from
-- the row holding that max: the latest failure.
INSERT INTO check_failures (user_id, course, lesson, exercise, number, failures, message, last_failed_at)
SELECT f.user_id, f.course, f.lesson, f.exercise, f.number, COUNT(*), f.message, MAX(f.created_at)
FROM (
    SELECT a.user_id, a.course, a.lesson, a.exercise, a.created_at,
        CAST(substr(j.value, 1, instr(j.value, ':') - 1) AS INTEGER) AS number,
        substr(j.value, instr(j.value, ':') + 2) AS message
    FROM exercise_attempts a, json_each(a.failed_checks) j
    WHERE a.passed = 0 AND a.kind = 'check'
) f
WHERE f.number > 0
GROUP BY f.user_id, f.course, f.lesson, f.exercise, f.number;

-- What comes next.
CREATE TRIGGER exercise_attempts_totals AFTER INSERT ON exercise_attempts
BEGIN
    INSERT INTO exercise_activity (user_id, course, lesson, exercise, attempts, failed_checks, last_attempt_ms, passed_ms)
    SELECT NEW.user_id, NEW.course, NEW.lesson, NEW.exercise, 1, NEW.passed = 0 AND NEW.kind = 'check', t.ms,
        CASE WHEN NEW.passed = 1 THEN t.ms END
    FROM (SELECT CAST(round(unixepoch(NEW.created_at, 'subsec') * 1000) AS INTEGER) AS ms) t
    WHERE true
    ON CONFLICT (user_id, course, lesson, exercise) DO UPDATE SET
        attempts = attempts + 1,
        failed_checks = failed_checks + excluded.failed_checks,
        last_attempt_ms = max(COALESCE(last_attempt_ms, 0), excluded.last_attempt_ms),
        passed_ms = CASE WHEN excluded.passed_ms IS NULL THEN passed_ms
            ELSE min(COALESCE(passed_ms, excluded.passed_ms), excluded.passed_ms) END;

    INSERT INTO check_failures (user_id, course, lesson, exercise, number, failures, message, last_failed_at)
    SELECT NEW.user_id, NEW.course, NEW.lesson, NEW.exercise, c.number, 1, c.message, NEW.created_at
    FROM (
        SELECT CAST(substr(j.value, 1, instr(j.value, ':') - 1) AS INTEGER) AS number,
            substr(j.value, instr(j.value, ':') + 2) AS message
        FROM json_each(NEW.failed_checks) j
    ) c
    WHERE NEW.passed = 0 AND NEW.kind = 'check' AND c.number > 0
    ON CONFLICT (user_id, course, lesson, exercise, number) DO UPDATE SET
        failures = failures + 1,
        message = CASE WHEN excluded.last_failed_at >= last_failed_at THEN excluded.message ELSE message END,
        last_failed_at = max(last_failed_at, excluded.last_failed_at);
END;

-- hint_reveals keeps the first reveal of each hint: a repeated reveal
-- inserts nothing and fires nothing.
CREATE TRIGGER hint_reveals_totals AFTER INSERT ON hint_reveals
BEGIN
    INSERT INTO exercise_activity (user_id, course, lesson, exercise, hints, last_hint_ms)
    VALUES (NEW.user_id, NEW.course, NEW.lesson, NEW.exercise, 1,
        CAST(round(unixepoch(NEW.revealed_at, 'subsec') * 1000) AS INTEGER))
    ON CONFLICT (user_id, course, lesson, exercise) DO UPDATE SET
        hints = hints + 1,
        last_hint_ms = max(COALESCE(last_hint_ms, 0), excluded.last_hint_ms);
END;
