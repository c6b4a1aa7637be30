-- Issue 4: 延期 requests and their decisions, talks recorded as held.
-- Notes, taps, 销号 and 退回 are events (the 履责纪实); only what must be looked up lives here.

-- A 延期 request: at most one waits per item; the item remembers nothing of it but its
-- status (extension_requested), so the status to return to is kept here.
CREATE TABLE extension_requests (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES items(id),
    requester_id  INTEGER NOT NULL REFERENCES persons(id),
    old_due       TEXT NOT NULL,
    new_due       TEXT NOT NULL,
    reason        TEXT NOT NULL,
    prev_status   TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending',  -- pending / approved / rejected / withdrawn
    decided_by    INTEGER REFERENCES persons(id),
    decided_at    TEXT,
    created_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX extension_one_pending ON extension_requests(item_id) WHERE state = 'pending';

-- A talk held (廉政谈话, 提醒谈话, 约谈, 诫勉谈话), with the required or scheduled item it
-- closes, if any.
CREATE TABLE talks (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER REFERENCES items(id),
    holder_id       INTEGER NOT NULL REFERENCES persons(id),
    counterpart_id  INTEGER NOT NULL REFERENCES persons(id),
    kind            TEXT NOT NULL,
    held_on         TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    recorded_at     TEXT NOT NULL
);
CREATE INDEX talks_held_on ON talks(held_on);
CREATE INDEX talks_holder ON talks(holder_id, held_on);
