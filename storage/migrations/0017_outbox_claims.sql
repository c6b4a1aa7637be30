-- Issue 23 §3: several `dutybot run` processes on one PostgreSQL drain the outbox, each
-- message claimed by one of them for a while (a lease: a process killed mid-send loses its
-- claim when it runs out, and another takes the message). SQLite has one process and never
-- claims; the columns are here too so that both engines keep one outbox (copy-db).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
