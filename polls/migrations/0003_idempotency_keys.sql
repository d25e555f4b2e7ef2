-- Idempotency-Key: a write sent with a key is done once; the answer is kept, in the same transaction as the
-- write, and a repeat of the request (a client's retry, or HAProxy's after the replica died between the
-- commit and the answer) gets that answer again. Kept for a day.
CREATE TABLE idempotency_keys (
    key          text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    route        text        NOT NULL, -- method and path: one key may be reused on another address
    fingerprint  text        NOT NULL, -- of the request body: the same key with another body is refused
    status       integer,              -- the answer, set before the commit
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, route)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
