-- Issue 20: a durable inbox. Every update from Telegram is stored here (raw JSON) before
-- the next getUpdates confirms it, and handled from here: a kill at any moment loses none.
-- `done_at` is written in the same transaction as the change the update made and the
-- answers it gave (queued in the outbox as kind 'answer'), so none is applied twice.
-- `lane` keeps one chat's updates in order while different chats are served at once.
CREATE TABLE inbox (
    update_id    INTEGER PRIMARY KEY,
    lane         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    done_at      TEXT
);
CREATE INDEX inbox_waiting ON inbox(update_id) WHERE done_at IS NULL;
CREATE INDEX inbox_done_at ON inbox(done_at) WHERE done_at IS NOT NULL;
