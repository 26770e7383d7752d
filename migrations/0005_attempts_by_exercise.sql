-- The instructor view's statistics read every attempt of one exercise,
-- across learners: index them by exercise so that is not a table scan.
CREATE INDEX exercise_attempts_by_exercise
    ON exercise_attempts (course, lesson, exercise);
