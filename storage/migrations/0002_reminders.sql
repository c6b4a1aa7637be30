-- Issue 3: obligations, the reminder plan, the outbox and the policy set in chat.

-- An obligation occurrence is an item on its owner's list, made once per rule, period,
-- owner and (for talks) counterpart.
ALTER TABLE items ADD COLUMN rule_key TEXT;
ALTER TABLE items ADD COLUMN period TEXT;
ALTER TABLE items ADD COLUMN counterpart_id INTEGER REFERENCES persons(id);
CREATE UNIQUE INDEX items_occurrence
    ON items(rule_key, period, owner_id, COALESCE(counterpart_id, 0))
    WHERE rule_key IS NOT NULL;
-- The planner's scan: active items by due date.
CREATE INDEX items_status_due ON items(status, due_date);

-- Set when Telegram refuses delivery (the user blocked the bot, the bot left the group);
-- cleared by the next delivery that works.
ALTER TABLE persons ADD COLUMN undeliverable_since TEXT;
ALTER TABLE groups ADD COLUMN undeliverable_since TEXT;

-- Events that trigger obligations, e.g. a 民主生活会 held on a date.
CREATE TABLE triggers (
    id           INTEGER PRIMARY KEY,
    event        TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    UNIQUE (event, on_date)
);

-- One planning run per day: after downtime the plan catches up once, not once per tick.
CREATE TABLE plan_runs (
    day      TEXT PRIMARY KEY,
    ran_at   TEXT NOT NULL,
    pushes   INTEGER NOT NULL
);

-- Messages to send, written in the same transaction as the plan step that made them.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    dedup_key        TEXT NOT NULL UNIQUE,
    chat_id          INTEGER NOT NULL,
    person_id        INTEGER REFERENCES persons(id),
    kind             TEXT NOT NULL,
    day              TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    parts_sent       INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    message_id       INTEGER,
    last_error       TEXT
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_message ON outbox(chat_id, message_id);

-- The reminder plan: each stage of each item reaches each recipient once per due date
-- (a moved due date starts the plan again).
CREATE TABLE reminders (
    id               INTEGER PRIMARY KEY,
    recipient        TEXT NOT NULL,
    item_id          INTEGER NOT NULL REFERENCES items(id),
    stage            TEXT NOT NULL,
    due_date         TEXT NOT NULL,
    planned_for      TEXT NOT NULL,
    outbox_id        INTEGER REFERENCES outbox(id),
    acknowledged_at  TEXT,
    UNIQUE (recipient, item_id, stage, due_date)
);
CREATE INDEX reminders_item ON reminders(item_id, due_date);
CREATE INDEX reminders_outbox ON reminders(outbox_id);

-- What an admin changed with /提醒设置, over the rules file.
CREATE TABLE policy_overrides (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
