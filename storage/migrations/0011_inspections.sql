-- Issue 22 §5, 考责问责: 监督检查 and 考核 records, and the follow-up obligations of those
-- held accountable in a 问责 case (source texts 001 §四, 004).

-- A 监督检查 by the 纪委 of one unit: 日常监督, 专项检查, 巡察 or 政治生态分析.
CREATE TABLE inspections (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,  -- J0001
    held_on     TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    kind        TEXT NOT NULL,  -- a bot/domain/inspections.py InspectionKind value
    created_by  INTEGER REFERENCES persons(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX inspections_unit ON inspections(unit_id);

-- What it found on each of the four points of 001 §四(一): a text, or none (无问题). A
-- finding with a problem may become a 问题清单 item and a 整改 (one tap), linked here.
CREATE TABLE inspection_findings (
    id             INTEGER PRIMARY KEY,
    inspection_id  INTEGER NOT NULL REFERENCES inspections(id),
    point          TEXT NOT NULL,  -- a bot/domain/inspections.py Point value
    finding        TEXT,  -- NULL: 无问题
    item_id        INTEGER REFERENCES items(id),  -- the 问题清单 item it became
    fix_id         INTEGER REFERENCES items(id),  -- the 整改 it became
    UNIQUE (inspection_id, point)
);

-- The yearly 检查考核 of a 下级党组织, led by a 班子成员; the result recorded by the 党委.
CREATE TABLE assessments (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    led_by      INTEGER REFERENCES persons(id),  -- the 班子成员 who led it
    grade       TEXT NOT NULL,  -- one of the rules file's grades
    remarks     TEXT NOT NULL DEFAULT '',  -- the 党委's 评语
    created_by  INTEGER REFERENCES persons(id),
    created_at  TEXT NOT NULL,
    UNIQUE (year, unit_id)
);

-- What one held accountable owes (001 §四(三)): a 书面检讨 to the deciding body and a
-- 深刻检查 at the next 民主生活会 or 组织生活会. Confidential, like the case: never an item.
CREATE TABLE case_followups (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    kind       TEXT NOT NULL CHECK (kind IN ('written', 'meeting')),
    owner_id   INTEGER NOT NULL REFERENCES persons(id),  -- the person held accountable
    due_date   TEXT NOT NULL,
    done_at    TEXT,
    done_by    INTEGER REFERENCES persons(id),
    UNIQUE (case_id, kind)
);
CREATE INDEX case_followups_open ON case_followups(due_date) WHERE done_at IS NULL;
