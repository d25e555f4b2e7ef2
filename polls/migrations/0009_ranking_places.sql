-- A ranking's counters per place (polls/kinds/ranking.py): how many ballots put each option at each place,
-- moved in the ballot's own statement; Borda points and the average rank come from them instead of from
-- every ballot.
CREATE TABLE ranking_places (
    poll_id    bigint  NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    option_id  integer NOT NULL,
    place      integer NOT NULL CHECK (place >= 1),
    votes      integer NOT NULL CHECK (votes >= 0),
    PRIMARY KEY (poll_id, option_id, place)
);
