-- A word cloud's totals per state (polls/kinds/wordcloud.py): how many distinct entries have votes
-- (measure 'entries') and how many votes they have ('votes'), moved in the same statement as the entries'
-- counters and every change of state, so that a snapshot reads its top entries and these few rows, not
-- every entry.
CREATE TABLE word_totals (
    poll_id  bigint  NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    state    text    NOT NULL,
    measure  text    NOT NULL CHECK (measure IN ('entries', 'votes')),
    n        integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (poll_id, state, measure)
);
INSERT INTO word_totals (poll_id, state, measure, n)
SELECT poll_id, state, 'entries', count(*) FROM word_counts WHERE votes > 0 GROUP BY poll_id, state
UNION ALL
SELECT poll_id, state, 'votes', sum(votes) FROM word_counts WHERE votes > 0 GROUP BY poll_id, state;
