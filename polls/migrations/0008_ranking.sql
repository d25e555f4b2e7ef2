-- Rankings (polls/kinds/ranking.py): a ballot is an order of option ids, kept in `ballots` as it is (its
-- option_ids in the voter's order), from which the runoff is recounted; first preferences are the options'
-- counters, and how many ballots put each option at each place is kept as counters too (Borda points and
-- the average rank come from them), moved in the ballot's own statement.
ALTER TABLE polls
    DROP CONSTRAINT polls_kind_check,
    ADD CONSTRAINT polls_kind_check CHECK (kind IN ('single', 'multiple', 'scale', 'ranking'));

CREATE TABLE ranking_places (
    poll_id    bigint  NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    option_id  integer NOT NULL,
    place      integer NOT NULL CHECK (place >= 1),
    votes      integer NOT NULL CHECK (votes >= 0),
    PRIMARY KEY (poll_id, option_id, place)
);
