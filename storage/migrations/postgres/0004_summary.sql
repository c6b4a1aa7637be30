-- PostgreSQL text of storage/migrations/0004_summary.sql (storage/postgres.py): INTEGER is BIGINT,
-- an `id INTEGER PRIMARY KEY` an identity column; what differs besides is said where it is.
-- Issue 5: what the 纪委's summary and the 履责指数 need.

-- When the owner finished an item (已完成, or 待验收 for a 整改; kept through 销号), so
-- "on time" can be told from "late". A trigger keeps it, whoever changes the status
-- (a tap, an import); an item that reopens (退回, 取消) loses it.
ALTER TABLE items ADD COLUMN finished_at TEXT;
-- history: the last time the owner reported it done (a 销号 later also stamps updated_at,
-- which would make a 整改 finished on time look late); updated_at only without an event
UPDATE items SET finished_at = COALESCE(
    (SELECT MAX(e.at) FROM events e
     WHERE e.subject_type = 'item' AND e.subject_id = CAST(items.id AS TEXT)
       AND e.kind = 'item.status'
       AND json_extract(e.data, '$.to') IN ('done', 'pending_verification')),
    updated_at)
    WHERE status IN ('done', 'pending_verification', 'verified');
-- (SQLite's AFTER trigger updates the row again; here the row is set before it is written)
CREATE FUNCTION items_finished_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.finished_at := CASE
        WHEN NEW.status IN ('done', 'pending_verification', 'verified')
            THEN COALESCE(OLD.finished_at, NEW.updated_at)
        ELSE NULL END;
    RETURN NEW;
END $$;
CREATE TRIGGER items_finished BEFORE UPDATE OF status ON items
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION items_finished_at();

-- "Finished this week" reads only the finished items, by when.
CREATE INDEX items_finished ON items(finished_at) WHERE finished_at IS NOT NULL;
-- 约谈 held vs required reads only the talk items.
CREATE INDEX items_talks ON items(due_date) WHERE counterpart_id IS NOT NULL;

-- "What changed since last week" reads events by kind and time.
CREATE INDEX events_kind_at ON events(kind, at);

-- The weekly summary runs once per week: after downtime it catches up once.
CREATE TABLE summary_runs (
    week     TEXT PRIMARY KEY,  -- ISO week, e.g. 2026-W49
    ran_at   TEXT NOT NULL,
    groups   BIGINT NOT NULL
);

-- The summary's census reads only this index: no table rows, no sort.
CREATE INDEX items_census ON items(kind, duty, unit_id, status, due_date);

-- The on-time tally per owner, unit and duty reads only this index.
CREATE INDEX items_on_time ON items(owner_id, unit_id, duty, status, due_date, finished_at);

-- When a reminder reached its recipient (the day its message was accepted by Telegram):
-- "unanswered for two workdays" is counted from it.
ALTER TABLE reminders ADD COLUMN sent_on TEXT;
UPDATE reminders SET sent_on = (
    SELECT o.day FROM outbox o WHERE o.id = reminders.outbox_id AND o.status = 'sent')
    WHERE outbox_id IS NOT NULL;
-- Non-responders: delivered reminders nobody answered, by the day they were sent.
CREATE INDEX reminders_unanswered ON reminders(sent_on, recipient, item_id)
    WHERE acknowledged_at IS NULL AND sent_on IS NOT NULL;

-- The response rate per person and month, kept as reminders are delivered and answered,
-- so the 履责指数 never has to count millions of reminder rows.
CREATE TABLE response_tallies (
    person_id  BIGINT NOT NULL REFERENCES persons(id),
    month      TEXT NOT NULL,  -- 2026-11
    reminded   BIGINT NOT NULL DEFAULT 0,
    answered   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, month)
);
INSERT INTO response_tallies (person_id, month, reminded, answered)
    SELECT CAST(substr(recipient, 3) AS BIGINT), substr(sent_on, 1, 7), COUNT(*),
           SUM(acknowledged_at IS NOT NULL)
    FROM reminders WHERE recipient LIKE 'p:%' AND sent_on IS NOT NULL
    GROUP BY recipient, substr(sent_on, 1, 7);
