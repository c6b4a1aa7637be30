-- PostgreSQL text of storage/migrations/0017_outbox_claims.sql (storage/postgres.py).
-- Issue 23 §3: several `dutybot run` processes on one PostgreSQL drain the outbox, each
-- message claimed by one of them for a while (a lease: a process killed mid-send loses its
-- claim when it runs out, and another takes the message). The claims are looked up by
-- the chat a message goes to (outbox_target): one in flight per chat keeps its order.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
