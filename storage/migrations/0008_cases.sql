-- Issue 22, 考责问责: the 问责 register and its 倒查 (一案双查). Confidential: nothing here
-- is ever pushed to a group (SPEC §11).
CREATE TABLE cases (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,  -- A0001
    person_id    INTEGER NOT NULL REFERENCES persons(id),  -- whom it concerns
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    situation    TEXT NOT NULL,  -- a 追责情形 code of the rules file
    situation_text TEXT NOT NULL,  -- its words when the case was recorded (rules change)
    finding      TEXT NOT NULL,
    handling     TEXT,  -- 处理, from the rules file's list; NULL: not decided yet
    decided_on   TEXT,
    misconduct   INTEGER NOT NULL CHECK (misconduct IN (0, 1)),  -- 违纪违法: 一案双查
    typical      INTEGER NOT NULL DEFAULT 0 CHECK (typical IN (0, 1)),  -- 典型案例
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by   INTEGER REFERENCES persons(id),
    created_at   TEXT NOT NULL,
    closed_at    TEXT
);
CREATE INDEX cases_unit ON cases(unit_id);

-- 倒查: of the unit's 主体责任 or the 纪委's 监督责任, led by a 纪委 investigator.
CREATE TABLE case_reviews (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    duty        TEXT NOT NULL CHECK (duty IN ('principal', 'supervision')),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    owner_id    INTEGER NOT NULL REFERENCES persons(id),
    due_date    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    conclusion  TEXT,
    created_at  TEXT NOT NULL,
    done_at     TEXT,
    UNIQUE (case_id, duty)
);

-- Whose responsibility a 倒查 examines: named, never owners, never told.
CREATE TABLE case_parties (
    review_id  INTEGER NOT NULL REFERENCES case_reviews(id),
    person_id  INTEGER NOT NULL REFERENCES persons(id),
    role       TEXT NOT NULL,  -- a PartyRole value (bot/domain/cases.py)
    PRIMARY KEY (review_id, person_id)
);
CREATE INDEX case_parties_person ON case_parties(person_id);
