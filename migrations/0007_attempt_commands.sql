-- The commands a learner ran (in the console and in the terminal) before a
-- failed check, for their team lead's view of an exercise they are stuck
-- on: a JSON array of strings, newest last, capped by the platform (20 of
-- at most 300 bytes each); never any output.

ALTER TABLE exercise_attempts ADD COLUMN commands TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(commands) AND json_type(commands) = 'array');
