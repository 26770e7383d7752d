-- Runbooks: each learner writes one per lesson (the lesson's "Practice:
-- a mini runbook"), saves it as a draft while typing and submits it for a
-- lead's review.
--
-- The draft is one row that every autosave overwrites; its revision counts
-- the saves, so a save made from a stale copy (another tab) is refused
-- instead of silently overwriting newer text. Autosaves make no history:
-- a submit does, by copying the draft into a new runbook_versions row,
-- kept for good (the store caps how many). Reviews belong to a version.
--
-- "Something waits" is computed, not stored: for a reviewer, the runbooks
-- whose status is 'submitted'; for the author, the reviews whose id is
-- greater than author_seen_review (the newest review they have seen).

CREATE TABLE runbooks (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course             TEXT    NOT NULL,
    lesson             TEXT    NOT NULL,
    draft              TEXT    NOT NULL DEFAULT '' CHECK (length(CAST(draft AS BLOB)) <= 65536),
    revision           INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0),
    draft_updated_at   TEXT    NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'submitted', 'changes_requested', 'approved')),
    -- The latest submit; NULL while the runbook is a draft.
    submitted_at       TEXT,
    author_seen_review INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT    NOT NULL,
    UNIQUE (user_id, course, lesson),
    CHECK ((status = 'draft') = (submitted_at IS NULL))
) STRICT;

-- The review queue: submitted runbooks, the longest waiting first.
CREATE INDEX runbooks_status ON runbooks (status, submitted_at);

CREATE TABLE runbook_versions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    runbook_id INTEGER NOT NULL REFERENCES runbooks (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL CHECK (number >= 1),
    body       TEXT    NOT NULL CHECK (length(CAST(body AS BLOB)) <= 65536),
    created_at TEXT    NOT NULL,
    UNIQUE (runbook_id, number)
) STRICT;

CREATE TABLE runbook_reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    runbook_id  INTEGER NOT NULL REFERENCES runbooks (id) ON DELETE CASCADE,
    version_id  INTEGER NOT NULL REFERENCES runbook_versions (id) ON DELETE CASCADE,
    -- NULL once the reviewer's account is deleted: the review stays.
    reviewer_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decision    TEXT    NOT NULL CHECK (decision IN ('approve', 'changes_requested', 'comment')),
    comment     TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL
) STRICT;

CREATE INDEX runbook_reviews_runbook ON runbook_reviews (runbook_id, id);
CREATE INDEX runbook_reviews_version ON runbook_reviews (version_id);
CREATE INDEX runbook_reviews_reviewer ON runbook_reviews (reviewer_id);
