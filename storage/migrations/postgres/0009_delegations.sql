-- PostgreSQL text of storage/migrations/0009_delegations.sql (storage/postgres.py): INTEGER is BIGINT,
-- an `id INTEGER PRIMARY KEY` an identity column; what differs besides is said where it is.
-- Issue 22 §4, 责任传导: an item handed down (分解) to an owner one level below. Its own
-- relation, beside items.parent_id (问题 → 责任 → 措施), which it never touches. A child
-- has one parent; the rules (levels, deadlines, no cycles) are bot/domain/delegation.py's.
CREATE TABLE delegations (
    child_id    BIGINT PRIMARY KEY REFERENCES items(id),
    parent_id   BIGINT NOT NULL REFERENCES items(id),
    created_by  BIGINT REFERENCES persons(id),
    created_at  TEXT NOT NULL,
    CHECK (child_id <> parent_id)
);
CREATE INDEX delegations_parent ON delegations(parent_id);
