-- A ranking's ballots counted per distinct ranking (polls/kinds/ranking.py), moved in the ballot's own
-- statement: the runoff's recount reads these groups instead of grouping every ballot each time.
CREATE TABLE ranking_groups (
    poll_id  bigint    NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    ranking  integer[] NOT NULL,
    ballots  integer   NOT NULL CHECK (ballots >= 0),
    PRIMARY KEY (poll_id, ranking)
);
