-- Rating scales (polls/kinds/scale.py): a question, or each of its statements, rated from min to max.

-- A kind's settings beyond max_choices (a scale's ends and their labels): the question's own JSON.
ALTER TABLE polls ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
ALTER TABLE polls
    DROP CONSTRAINT polls_kind_check,
    ADD CONSTRAINT polls_kind_check CHECK (kind IN ('single', 'multiple', 'scale'));

-- A scale without statements rates its question: its one line has no label of its own.
ALTER TABLE options
    DROP CONSTRAINT options_label_check,
    ADD CONSTRAINT options_label_check CHECK (char_length(label) BETWEEN 0 AND 120);

-- A scale's tally, kept in the ballot's transaction: per statement and step, how many rated it so. (Its
-- ballots are rows of `ballots`, whose option_ids hold the ratings, one per statement in order.)
CREATE TABLE scale_counts (
    poll_id    bigint  NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    option_id  integer NOT NULL,
    value      integer NOT NULL,
    votes      integer NOT NULL CHECK (votes >= 0),
    PRIMARY KEY (poll_id, option_id, value)
);

-- A round's snapshot as its kind reads it (the export's rows of a scale's steps), and what a new round
-- clears of a kind's own tables, kept for its undo (as the ballots are).
ALTER TABLE poll_rounds ADD COLUMN tally jsonb, ADD COLUMN kept jsonb;
