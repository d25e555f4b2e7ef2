-- Events: a titled, ordered list of questions (each a poll) that a presenter moves through live.
CREATE TABLE events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code          text        NOT NULL UNIQUE,
    admin_hash    text        NOT NULL,
    title         text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    live_poll_id  bigint,
    -- Bumped with every change a screen shows (question switched, opened, closed, revealed, edited).
    version       bigint      NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE polls
    ADD COLUMN event_id    bigint REFERENCES events (id) ON DELETE CASCADE,
    ADD COLUMN position    integer,
    -- Who sees the results: always, after the participant voted, after voting closes, presenter only.
    ADD COLUMN visibility  text NOT NULL DEFAULT 'always'
        CHECK (visibility IN ('always', 'after_vote', 'after_close', 'presenter')),
    ADD COLUMN revealed    boolean NOT NULL DEFAULT true,
    ADD COLUMN closes_at   timestamptz,
    ADD COLUMN round       integer NOT NULL DEFAULT 1 CHECK (round >= 1);

ALTER TABLE events
    ADD CONSTRAINT events_live_poll_fk FOREIGN KEY (live_poll_id) REFERENCES polls (id) ON DELETE SET NULL;

CREATE INDEX polls_event_position ON polls (event_id, position) WHERE event_id IS NOT NULL;
-- The countdown closer looks for open polls whose time is up.
CREATE INDEX polls_closes_at ON polls (closes_at) WHERE closes_at IS NOT NULL;

-- The results of a question's earlier rounds, kept when the presenter resets it.
CREATE TABLE poll_rounds (
    poll_id    bigint      NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    round      integer     NOT NULL,
    voters     integer     NOT NULL,
    counts     jsonb       NOT NULL, -- [{"id", "label", "votes"}]
    ended_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, round)
);
