-- Issue 22 §4, 责任传导: an item handed down (分解) to an owner one level below. Its own
-- relation, beside items.parent_id (问题 → 责任 → 措施), which it never touches. A child
-- has one parent; the rules (levels, deadlines, no cycles) are bot/domain/delegation.py's.
CREATE TABLE delegations (
    child_id    INTEGER PRIMARY KEY REFERENCES items(id),
    parent_id   INTEGER NOT NULL REFERENCES items(id),
    created_by  INTEGER REFERENCES persons(id),
    created_at  TEXT NOT NULL,
    CHECK (child_id <> parent_id)
);
CREATE INDEX delegations_parent ON delegations(parent_id);
