-- The core: units, people and their roles, invites, groups, the three lists,
-- the append-only event log, guided conversations and processed Telegram updates.

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES units(id),
    created_at  TEXT NOT NULL
);

CREATE TABLE persons (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    telegram_user_id  INTEGER UNIQUE,
    phone             TEXT,
    note              TEXT,
    active            INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    UNIQUE (name, unit_id)
);

CREATE TABLE person_roles (
    person_id  INTEGER NOT NULL REFERENCES persons(id),
    role       TEXT NOT NULL,
    PRIMARY KEY (person_id, role)
);

-- 分管: the units a 班子成员 is in charge of.
CREATE TABLE person_oversight (
    person_id  INTEGER NOT NULL REFERENCES persons(id),
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (person_id, unit_id)
);

CREATE TABLE invites (
    code                 TEXT PRIMARY KEY,
    person_id            INTEGER NOT NULL REFERENCES persons(id),
    created_at           TEXT NOT NULL,
    expires_at           TEXT NOT NULL,
    used_at              TEXT,
    used_by_telegram_id  INTEGER,
    revoked_at           TEXT
);
CREATE INDEX invites_person ON invites(person_id);

CREATE TABLE groups (
    chat_id        INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    unit_id        INTEGER REFERENCES units(id),
    registered_at  TEXT NOT NULL
);

CREATE TABLE items (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    duty        TEXT NOT NULL,
    owner_id    INTEGER NOT NULL REFERENCES persons(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    parent_id   INTEGER REFERENCES items(id),
    source      TEXT,
    due_date    TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX items_owner ON items(owner_id, status, due_date);
CREATE INDEX items_unit ON items(unit_id, status, due_date);
CREATE INDEX items_parent ON items(parent_id);

-- 履责纪实: append-only. Never updated, never deleted.
CREATE TABLE events (
    id                 INTEGER PRIMARY KEY,
    at                 TEXT NOT NULL,
    actor_person_id    INTEGER REFERENCES persons(id),
    actor_telegram_id  INTEGER,
    kind               TEXT NOT NULL,
    subject_type       TEXT NOT NULL,
    subject_id         TEXT NOT NULL,
    data               TEXT NOT NULL DEFAULT '{}',
    update_id          INTEGER
);
CREATE INDEX events_subject ON events(subject_type, subject_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- A guided flow half-way through, so it survives a restart.
CREATE TABLE conversations (
    chat_id     INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    state       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);

-- Telegram may hand an update out again after a crash; a change is made once per update.
CREATE TABLE processed_updates (
    update_id     INTEGER PRIMARY KEY,
    processed_at  TEXT NOT NULL
);
