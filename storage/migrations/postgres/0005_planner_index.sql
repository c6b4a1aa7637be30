-- PostgreSQL text of storage/migrations/0005_planner_index.sql (storage/postgres.py): INTEGER is BIGINT,
-- an `id INTEGER PRIMARY KEY` an identity column; what differs besides is said where it is.
-- Issue 3's bench (b): the daily plan reads only items whose reminder ladder is not over.
--
-- On an old database most active items are long overdue and had every lane's last stage
-- (T+1, T+3, T+7 by default) long ago; reading them each day, with their planned stages,
-- is most of a tick. `plan_ended` remembers, per item, the due date whose ladder ended and
-- the last stages it ended with ("2026-10-09 T+7,T+3,T+1", written by the plan when the
-- last of them is planned: storage/reminders.py). A moved due date or a policy with other
-- last stages no longer matches it, so the item is read again. Nothing is filled in here
-- (the policy lives in the rules file): the first plan after this migration marks them.
ALTER TABLE items ADD COLUMN plan_ended TEXT;
-- The planner's scan tests the mark in the index, before it reads the row.
DROP INDEX items_status_due;
CREATE INDEX items_status_due_plan ON items(status, due_date, plan_ended);
-- The stages an item had for its due date, from the index alone; it serves every lookup
-- by (item_id, due_date), so the older index goes. The due date comes first: a day's
-- plan writes reminders for items due within a few weeks of today, which then land in a
-- narrow band of the index instead of all over it (fewer pages written, and checkpointed).
CREATE INDEX reminders_due_item_stage ON reminders(due_date, item_id, stage);
DROP INDEX reminders_item;
