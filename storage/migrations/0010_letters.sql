-- Issue 22, 考责问责: 责任书 签字背书 and the year-end 对账 (SPEC §11).
-- One 责任书 per holder (班子成员, 下级党组织书记) per year; signed_at is the 签字背书.
CREATE TABLE letters (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES persons(id),
    year        INTEGER NOT NULL,
    issued_on   TEXT NOT NULL,  -- the day it went out (the rules file's `issue`, or later)
    issued_at   TEXT NOT NULL,
    signed_at   TEXT,  -- 签字背书, with its time; NULL: not signed yet
    reconcile_opened_at TEXT,  -- when its 对账 lines were laid out
    UNIQUE (person_id, year)
);

-- The 对账 of one item of a 责任书: the holder's answer, the 对账确认, the carry-over choice.
CREATE TABLE letter_lines (
    id            INTEGER PRIMARY KEY,
    letter_id     INTEGER NOT NULL REFERENCES letters(id),
    item_id       INTEGER NOT NULL REFERENCES items(id),
    answer        TEXT CHECK (answer IN ('done', 'undone')),  -- 已完成 / 未完成
    reason        TEXT,  -- why 未完成
    answered_at   TEXT,
    confirmed_by  INTEGER REFERENCES persons(id),  -- NULL with confirmed_at: 验收销号
    confirmed_at  TEXT,  -- 对账确认
    carry         TEXT CHECK (carry IN ('carry', 'drop')),  -- 结转 / 不结转 (未完成 only)
    carried_item_id INTEGER REFERENCES items(id),  -- next year's item, when 结转
    UNIQUE (letter_id, item_id)
);
CREATE INDEX letter_lines_item ON letter_lines(item_id);
CREATE INDEX letter_lines_waiting ON letter_lines(confirmed_at);

-- Which yearly steps ran (issue, reconcile), so that each tick need not look again.
CREATE TABLE letter_runs (
    year     INTEGER NOT NULL,
    step     TEXT NOT NULL CHECK (step IN ('issue', 'reconcile')),
    done_at  TEXT NOT NULL,
    PRIMARY KEY (year, step)
);
