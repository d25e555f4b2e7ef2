-- Audience Q&A of an event (polls/qa.py): participants ask questions and upvote them; the presenter
-- switches it on, moderates, marks questions answered and pins one. 0015 is the quiz's.

-- On or off (off by default), moderated or not, and the version of the event's Q&A board, bumped in the
-- transaction of every Q&A change (screens order the boards they are pushed by it).
ALTER TABLE events
    ADD COLUMN qa_enabled    boolean NOT NULL DEFAULT false,
    ADD COLUMN qa_moderation text    NOT NULL DEFAULT 'off' CHECK (qa_moderation IN ('off', 'approve')),
    ADD COLUMN qa_version    bigint  NOT NULL DEFAULT 1;

-- A question asked: anonymous on every screen unless its asker chose to show their nickname (named: the
-- event's nicknames table, migration 0015, joined as the board is read). Its state is the presenter's: shown, pending (approve first), held (the profanity filter
-- matched it) or hidden. votes is moved in the statement that adds or removes a row of qa_votes.
CREATE TABLE qa_questions (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id  bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    voter     text        NOT NULL,
    text      text        NOT NULL CHECK (char_length(text) BETWEEN 1 AND 280),
    state     text        NOT NULL CHECK (state IN ('shown', 'pending', 'held', 'hidden')),
    votes     integer     NOT NULL DEFAULT 0 CHECK (votes >= 0),
    answered  boolean     NOT NULL DEFAULT false,
    pinned    boolean     NOT NULL DEFAULT false,
    named     boolean     NOT NULL DEFAULT false,
    asked_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT pinned OR state = 'shown')
);
CREATE INDEX qa_questions_event ON qa_questions (event_id, id);
-- At most one pinned question per event, whatever the race between two presenters' screens.
CREATE UNIQUE INDEX qa_questions_one_pinned ON qa_questions (event_id) WHERE pinned;

-- One upvote per voter per question; withdrawing deletes it.
CREATE TABLE qa_votes (
    question_id  bigint NOT NULL REFERENCES qa_questions (id) ON DELETE CASCADE,
    voter        text   NOT NULL,
    PRIMARY KEY (question_id, voter)
);

-- Per voter and event: questions asked and votes given or withdrawn in the current window (a fixed window,
-- started anew by the first write after it ended). Shared by every replica.
CREATE TABLE qa_voter_limits (
    event_id      bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    voter         text        NOT NULL,
    window_start  timestamptz NOT NULL,
    questions     integer     NOT NULL DEFAULT 0,
    votes         integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, voter)
);
