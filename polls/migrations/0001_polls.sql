-- Polls, their options with per-option counters, and one ballot per voter per poll.
CREATE TABLE polls (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text        NOT NULL UNIQUE,
    admin_hash   text        NOT NULL,
    question     text        NOT NULL CHECK (char_length(question) BETWEEN 1 AND 300),
    kind         text        NOT NULL CHECK (kind IN ('single', 'multiple')),
    max_choices  integer     NOT NULL CHECK (max_choices >= 1),
    status       text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    -- Bumped in the same transaction as every change, so a snapshot's version orders it.
    version      bigint      NOT NULL DEFAULT 0,
    voters       integer     NOT NULL DEFAULT 0 CHECK (voters >= 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE options (
    poll_id  bigint  NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    id       integer NOT NULL,
    label    text    NOT NULL CHECK (char_length(label) BETWEEN 1 AND 120),
    votes    integer NOT NULL DEFAULT 0 CHECK (votes >= 0),
    PRIMARY KEY (poll_id, id)
);

CREATE TABLE ballots (
    poll_id     bigint      NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter       text        NOT NULL,
    option_ids  integer[]   NOT NULL CHECK (cardinality(option_ids) >= 1),
    cast_at     timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, voter)
);
