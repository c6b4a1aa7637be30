-- PostgreSQL text of storage/migrations/0014_webhook.sql (storage/postgres.py): INTEGER is BIGINT,
-- an `id INTEGER PRIMARY KEY` an identity column; what differs besides is said where it is.
-- Issue 23: what a running bot keeps beyond one process — the webhook's secret token
-- (made once and shared by every process: each setWebhook replaces the last, so a secret
-- per process would have all but one refused) and the time of the planner's last tick
-- (what GET /healthz reports). One row per key.
CREATE TABLE bot_state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
