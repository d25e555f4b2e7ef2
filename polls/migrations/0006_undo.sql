-- Undo, for a few seconds, of the presenter's two changes that throw answers away.
-- A deleted question is kept whole (its row, options, ballots and earlier rounds) to be put back as it was.
CREATE TABLE deleted_questions (
    event_id    bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    code        text        NOT NULL,
    question    text        NOT NULL,
    kept        jsonb       NOT NULL, -- {"poll": row, "options": [rows], "ballots": [rows], "rounds": [rows]}
    was_live    boolean     NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, code)
);

-- A new round keeps the ballots it cleared and the status it ended in, until its undo is no longer offered.
ALTER TABLE poll_rounds
    ADD COLUMN ballots jsonb, -- [{"voter", "option_ids", "cast_at", "updated_at"}]
    ADD COLUMN status  text;
