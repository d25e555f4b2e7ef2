-- Quizzes (polls/kinds/quiz.py): a choice question with correct options and a time limit, scored by how
-- fast a right ballot committed after the question's start; and nicknames, per event, for the leaderboard.

ALTER TABLE polls
    DROP CONSTRAINT polls_kind_check,
    ADD CONSTRAINT polls_kind_check
        CHECK (kind IN ('single', 'multiple', 'scale', 'ranking', 'wordcloud', 'text', 'quiz')),
    -- When the presenter started the question (a quiz's clock: its ballots are scored from it).
    ADD COLUMN started_at timestamptz;

-- The points of one quiz answer (Kahoot's rule): none if wrong; if right, 1,000 at once, falling evenly to
-- 500 at the time limit: round(1000 * (1 - elapsed / limit / 2)), the elapsed time clamped to the limit.
CREATE FUNCTION quiz_points(is_right boolean, elapsed interval, time_limit integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN is_right THEN
    round(1000 * (1 - least(greatest(extract(epoch FROM elapsed), 0), time_limit) / time_limit / 2))::integer
ELSE 0 END;

-- Every quiz answer of the current rounds, scored: whether it was right (exactly the correct options), how
-- long after the start it committed (ms), and its points. The leaderboard sums these per voter.
CREATE VIEW quiz_answers AS
SELECT p.event_id, p.id AS poll_id, b.voter,
       b.option_ids = c.correct AS is_right,
       greatest(extract(epoch FROM b.cast_at - p.started_at), 0) * 1000 AS elapsed_ms,
       quiz_points(b.option_ids = c.correct, b.cast_at - p.started_at, (p.settings ->> 'time_limit')::integer)
           AS points
FROM polls p
JOIN ballots b ON b.poll_id = p.id
CROSS JOIN LATERAL (
    SELECT array_agg(x::integer ORDER BY x::integer) AS correct
    FROM jsonb_array_elements_text(p.settings -> 'correct') AS x
) AS c
WHERE p.kind = 'quiz' AND p.started_at IS NOT NULL;

-- A participant's name in an event's leaderboard (and beside their Q&A questions): unique per event, as
-- a person reads it (case-insensitive).
CREATE TABLE nicknames (
    event_id  bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    voter     text   NOT NULL,
    nickname  text   NOT NULL CHECK (char_length(nickname) BETWEEN 1 AND 24),
    PRIMARY KEY (event_id, voter)
);
CREATE UNIQUE INDEX nicknames_unique ON nicknames (event_id, lower(nickname));
