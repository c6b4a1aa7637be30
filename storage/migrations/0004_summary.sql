-- Issue 5: what the 纪委's summary and the 履责指数 need.

-- When the owner finished an item (已完成, or 待验收 for a 整改; kept through 销号), so
-- "on time" can be told from "late". A trigger keeps it, whoever changes the status
-- (a tap, an import); an item that reopens (退回, 取消) loses it.
ALTER TABLE items ADD COLUMN finished_at TEXT;
UPDATE items SET finished_at = updated_at
    WHERE status IN ('done', 'pending_verification', 'verified');
CREATE TRIGGER items_finished AFTER UPDATE OF status ON items
WHEN NEW.status IS NOT OLD.status
BEGIN
    UPDATE items SET finished_at = CASE
        WHEN NEW.status IN ('done', 'pending_verification', 'verified')
            THEN COALESCE(OLD.finished_at, NEW.updated_at)
        ELSE NULL END
    WHERE id = NEW.id;
END;

-- "What changed since last week" reads events by kind and time.
CREATE INDEX events_kind_at ON events(kind, at);

-- The weekly summary runs once per week: after downtime it catches up once.
CREATE TABLE summary_runs (
    week     TEXT PRIMARY KEY,  -- ISO week, e.g. 2026-W49
    ran_at   TEXT NOT NULL,
    groups   INTEGER NOT NULL
);

-- The summary's census reads only this index: no table rows, no sort.
CREATE INDEX items_census ON items(kind, duty, unit_id, status, due_date);
