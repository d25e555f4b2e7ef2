-- Secrets that every replica must share, made once by whichever replica starts first (the others find it):
-- the key that signs voter ids. Never sent to a client.
CREATE TABLE server_keys (
    name        text        PRIMARY KEY,
    secret      bytea       NOT NULL CHECK (octet_length(secret) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
