-- Rankings (polls/kinds/ranking.py): a ballot is an order of option ids, kept in `ballots` as it is (its
-- option_ids in the voter's order); the runoff is recounted from the ballots, first preferences are the
-- options' counters. Nothing of its own to store beyond its name.
ALTER TABLE polls
    DROP CONSTRAINT polls_kind_check,
    ADD CONSTRAINT polls_kind_check CHECK (kind IN ('single', 'multiple', 'scale', 'ranking'));
