-- An open text's answers counted per state (polls/kinds/open_text.py), moved in the same statement as every
-- change of state (an answer written, held by the filter, shown or hidden), so that a snapshot reads a
-- page of answers and these few rows, not every answer.
CREATE TABLE text_counts (
    poll_id  bigint  NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    state    text    NOT NULL,
    entries  integer NOT NULL CHECK (entries >= 0),
    PRIMARY KEY (poll_id, state)
);
INSERT INTO text_counts (poll_id, state, entries)
SELECT poll_id, state, count(*) FROM text_entries GROUP BY poll_id, state;
