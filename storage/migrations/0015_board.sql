-- Issue 24 §3, the 纪委 看板: one-time login links and the sessions they open. Only a hash
-- (SHA-256) of each random token is kept: a copy of the database opens nothing.
CREATE TABLE board_links (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    person_id   INTEGER NOT NULL REFERENCES persons(id),
    via         TEXT NOT NULL,  -- chat (/看板) or cli (dutybot board-link)
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT  -- the POST of 进入看板; NULL: not used yet
);
CREATE TABLE board_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    person_id   INTEGER NOT NULL REFERENCES persons(id),
    link_id     INTEGER NOT NULL REFERENCES board_links(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
