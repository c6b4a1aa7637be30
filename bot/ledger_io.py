"""The Excel 台账 on disk: a Ledger written as .xlsx, streaming (bot/xlsx.py).

Blocking (a large 台账 takes a while): the bot writes it in a child process
(bot/services/export.py), into a file. What the rows hold is bot/domain/ledger.py's; the
words are messages/export.py's, handed in as a `LedgerWords`.

Every string is written as text: a title such as `=1+1` or `#N/A` stays a string and
never becomes a formula or an error value.
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, tzinfo
from itertools import chain, islice
from typing import Any, BinaryIO, NamedTuple

from bot import xlsx
from bot.domain.display import clip, columns
from bot.domain.ledger import (
    ASSESSMENTS,
    CASES,
    EVENTS,
    EXTRA_COLUMNS,
    FIXES,
    INSPECTIONS,
    LEDGER_COLUMNS,
    OBLIGATIONS,
    PERFORMANCE,
    RECONCILE,
    TALKS,
    Ledger,
    LedgerItem,
    LedgerTalk,
    LedgerWords,
    Score,
    Verdict,
    chain_of,
    import_status,
    overdue_days,
    person_labels,
)
from bot.domain.model import ItemStatus
from bot.domain.vocabulary import (
    ANSWER_NAMES,
    CARRY_NAMES,
    DUTY_NAMES,
    LIST_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    UNIT_KIND_NAMES,
)
from bot.domain.workbook import COLUMNS, HELP, ITEMS, PEOPLE, UNITS

EXCEL_ROWS = 1_048_576  # a worksheet's rows, its header included
CELL_MAX = 32_767  # characters in one cell
_SAMPLE = 300  # rows looked at to size the columns
_MIN_WIDTH, _MAX_WIDTH = 6, 60
#: what XML 1.0 cannot carry: the C0 controls but tab, LF and CR (as openpyxl refuses
#: them), lone surrogates, U+FFFE and U+FFFF
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010\013\014\016-\037\ud800-\udfff\ufffe\uffff]")
_PERFORMANCE_NUMBERS = {5: xlsx.PERCENT, 8: xlsx.PERCENT, 9: xlsx.INTEGER}  # 0–100 score


class LedgerFile(NamedTuple):
    data: bytes  # the .xlsx
    counts: dict[str, int]  # data rows per sheet, in the workbook's order


class SheetPlan(NamedTuple):
    """One sheet of the 台账 before it is written: its rows' cells are what the file holds
    (text cleaned, times local and naive)."""

    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[object]]
    imported: int | None = None  # how many columns the import reads (the rest are shaded)
    numbers: dict[int, int] | None = None  # column index → a number's style (bot/xlsx.py)


def write_ledger(ledger: Ledger, words: LedgerWords) -> bytes:
    """The whole 台账 as .xlsx bytes."""
    return write_ledger_file(ledger, words).data


def write_ledger_file(ledger: Ledger, words: LedgerWords) -> LedgerFile:
    """The 台账 and how many rows each sheet got."""
    buffer = io.BytesIO()
    counts = write_ledger_to(ledger, words, buffer)
    return LedgerFile(buffer.getvalue(), counts)


def write_ledger_to(ledger: Ledger, words: LedgerWords, target: BinaryIO | str,
                    compresslevel: int = 6) -> dict[str, int]:
    """The 台账 written into `target` (a file open for binary writing, or a path), streaming;
    the data rows per sheet, in the workbook's order."""
    writer = _Writer(ledger, words)
    writer.write(target, compresslevel)
    return dict(writer.counts)


def ledger_sheets(ledger: Ledger, words: LedgerWords) -> Iterator[SheetPlan]:
    """Every sheet's cells, the 说明 last, for writers that only need the values (the
    bench's candidates): the same rows the 台账 holds, without widths or styles."""
    writer = _Writer(ledger, words)
    counts: dict[str, int] = {}

    def counted(name: str, rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
        n = 0
        for row in rows:
            n += 1
            yield row
        counts[name] = n

    for plan in writer.plan():
        yield plan._replace(rows=counted(plan.name, plan.rows))
    yield SheetPlan(HELP, (), writer.help_rows(counts))


class _Writer:
    def __init__(self, ledger: Ledger, words: LedgerWords) -> None:
        self.ledger = ledger
        self.words = words
        self.tz: tzinfo | None = ledger.made_at.tzinfo
        self.today = ledger.today
        self.counts: dict[str, int] = {}
        units = ledger.units
        self.unit_name = {u.id: u.name for u in units.values()}
        self.person_name = {p.id: p.name for p in ledger.people.values()}
        self.owner_label = person_labels(ledger.people, units)

    def write(self, target: BinaryIO | str, compresslevel: int = 6) -> None:
        book = xlsx.Workbook(target, compresslevel, made=self.ledger.made_at)
        try:
            for plan in self.plan():
                self._sheet(book, plan)
            self._help(book, self.help_rows(self.counts))
        except BaseException:
            book.abort()
            raise
        book.close()

    def plan(self) -> Iterator[SheetPlan]:
        """The sheets in the workbook's order, the 说明 aside (it counts the others)."""
        ledger = self.ledger
        cells = self._cells
        yield SheetPlan(UNITS, COLUMNS[UNITS], cells(self._units()))
        yield SheetPlan(PEOPLE, COLUMNS[PEOPLE] + EXTRA_COLUMNS[PEOPLE], cells(self._people()),
                        imported=len(COLUMNS[PEOPLE]))
        yield SheetPlan(ITEMS, COLUMNS[ITEMS] + EXTRA_COLUMNS[ITEMS], cells(self._lists()),
                        imported=len(COLUMNS[ITEMS]))
        yield SheetPlan(OBLIGATIONS, LEDGER_COLUMNS[OBLIGATIONS], cells(self._obligations()))
        yield SheetPlan(TALKS, LEDGER_COLUMNS[TALKS], cells(self._talks()))
        yield SheetPlan(FIXES, LEDGER_COLUMNS[FIXES], cells(self._fixes()))
        if ledger.reconciliation:
            yield SheetPlan(RECONCILE, LEDGER_COLUMNS[RECONCILE], cells(self._reconciliation()))
        if ledger.cases is not None:
            yield SheetPlan(CASES, LEDGER_COLUMNS[CASES], cells(self._cases()))
        if ledger.inspections is not None:
            yield SheetPlan(INSPECTIONS, LEDGER_COLUMNS[INSPECTIONS], cells(self._inspections()))
        if ledger.assessments is not None:
            yield SheetPlan(ASSESSMENTS, LEDGER_COLUMNS[ASSESSMENTS], cells(self._assessments()))
        yield SheetPlan(EVENTS, LEDGER_COLUMNS[EVENTS], cells(self._events()))
        yield SheetPlan(PERFORMANCE, LEDGER_COLUMNS[PERFORMANCE], cells(self._scores()),
                        numbers=_PERFORMANCE_NUMBERS)

    def help_rows(self, counts: dict[str, int]) -> list[tuple[object, ...]]:
        made = self._local(self.ledger.made_at).strftime("%Y-%m-%d %H:%M")
        return self.words.help(made, counts, self.ledger.score_period)

    # -- the sheets ------------------------------------------------------------------------

    def _units(self) -> Iterator[tuple[object, ...]]:
        units = self.ledger.units
        depth: dict[int, int] = {}
        for unit in units.values():  # parents first, so the sheet reads as a tree
            seen, current, n = set(), unit.parent_id, 0
            while current is not None and current in units and current not in seen:
                seen.add(current)
                n += 1
                current = units[current].parent_id
            depth[unit.id] = n
        for unit in sorted(units.values(), key=lambda u: (depth[u.id], u.id)):
            yield (unit.name, self.unit_name.get(unit.parent_id) if unit.parent_id else None,
                   UNIT_KIND_NAMES[unit.kind])

    def _people(self) -> Iterator[tuple[object, ...]]:
        for p in self.ledger.people.values():
            if not p.active:
                continue
            roles = "、".join(name for role, name in ROLE_NAMES.items() if role in p.roles)
            oversees = "、".join(self.unit_name[u] for u in p.oversees if u in self.unit_name)
            yield (p.name, roles, self.unit_name.get(p.unit_id), oversees or None, p.phone,
                   p.note, p.wecom_userid, p.feishu_open_id, "是" if p.bound else "否")

    def _lists(self) -> Iterator[tuple[object, ...]]:
        for i in self.ledger.lists:
            status = import_status(i.status)
            yield (i.code, LIST_NAMES[i.kind], i.title, DUTY_NAMES[i.duty],
                   self.owner_label.get(i.owner_id), self.unit_name.get(i.unit_id),
                   i.parent_code, i.source, i.due_date,
                   STATUS_NAMES[status] if status else None, STATUS_NAMES[i.status],
                   chain_of(i, self.ledger.delegated_from.get(i.id),
                            self.ledger.delegated_to.get(i.id, ())),
                   overdue_days(i.due_date, i.status, self.today), i.updated_at)

    def _obligations(self) -> Iterator[tuple[object, ...]]:
        for i in self.ledger.obligations:
            yield (i.code, i.title, DUTY_NAMES[i.duty], self.person_name.get(i.owner_id),
                   self.unit_name.get(i.unit_id), self._person(i.counterpart_id), i.rule_key,
                   i.period, i.due_date, STATUS_NAMES[i.status],
                   overdue_days(i.due_date, i.status, self.today), i.updated_at)

    def _talks(self) -> Iterator[tuple[object, ...]]:
        people = self.ledger.people
        held: dict[int | None, list[LedgerTalk]] = defaultdict(list)
        for t in self.ledger.talks:
            held[t.item_id].append(t)
        talk_items = self.ledger.talk_items
        shown = {i.id for i in talk_items}

        def unit_of(person_id: int | None) -> str | None:
            person = people.get(person_id) if person_id is not None else None
            return self.unit_name.get(person.unit_id) if person else None

        for i in talk_items:
            records: list[LedgerTalk | None] = list(held.get(i.id, ())) or [None]
            for t in records:
                yield (i.code, i.title, self.person_name.get(i.owner_id), unit_of(i.owner_id),
                       self._person(i.counterpart_id), unit_of(i.counterpart_id), i.due_date,
                       STATUS_NAMES[i.status], overdue_days(i.due_date, i.status, self.today),
                       *(_held(t) if t else (None, None, None, None)))
        for item_id, records in held.items():
            if item_id in shown:
                continue
            for t in records:  # held without a required or scheduled talk behind it
                yield (None, None, self.person_name.get(t.holder_id), unit_of(t.holder_id),
                       self._person(t.counterpart_id), unit_of(t.counterpart_id), None, None,
                       None, *_held(t))

    def _fixes(self) -> Iterator[tuple[object, ...]]:
        fixes = self.ledger.fixes
        ids = {i.id for i in fixes}
        plans: dict[int, LedgerItem] = {}
        for i in fixes:
            if i.parent_id in ids:
                plans.setdefault(i.parent_id, i)
        verdicts: dict[int, list[Verdict]] = defaultdict(list)
        for v in self.ledger.verdicts:
            verdicts[v.item_id].append(v)
        for i in fixes:
            if i.parent_id in ids:
                continue  # a 整改方案: shown on its 整改's row
            plan = plans.get(i.id)
            said = verdicts.get(i.id, [])
            verified = [v for v in said if v.action == "verify"]
            returned = sum(1 for v in said if v.action == "return")
            last = verified[-1] if verified else None
            shown = (ItemStatus.VERIFIED, ItemStatus.PENDING_VERIFICATION, ItemStatus.RETURNED)
            yield (i.code, i.title, i.source, self.person_name.get(i.owner_id),
                   self.unit_name.get(i.unit_id), DUTY_NAMES[i.duty],
                   plan.code if plan else None, plan.due_date if plan else None,
                   STATUS_NAMES[plan.status] if plan else None, i.due_date,
                   STATUS_NAMES[i.status], overdue_days(i.due_date, i.status, self.today),
                   STATUS_NAMES[i.status] if i.status in shown else None,
                   self._person(last.actor_person_id) if last else None,
                   last.at if last else None, returned or None)

    def _reconciliation(self) -> Iterator[tuple[object, ...]]:
        people = self.ledger.people
        for x in self.ledger.reconciliation:
            holder = people.get(x.holder_id)
            verified = x.confirmed_at is not None and x.confirmed_by is None
            yield (x.year, self._person(x.holder_id),
                   self.unit_name.get(holder.unit_id) if holder else None, x.code, x.title,
                   x.due_date, self._local(x.signed_at) if x.signed_at else "未签字背书",
                   ANSWER_NAMES.get(x.answer or "", "未报告"), x.reason,
                   self._local(x.answered_at) if x.answered_at else None,
                   "验收销号" if verified else self._person(x.confirmed_by),
                   self._local(x.confirmed_at) if x.confirmed_at else None,
                   CARRY_NAMES.get(x.carry or ""), x.carried_code)

    def _cases(self) -> Iterator[tuple[object, ...]]:
        review, follow = self.words.review, self.words.follow_up
        for c in self.ledger.cases or ():
            told = [review(r.duty, self.person_name.get(r.owner_id) or "", r.due_date, r.done,
                           [self.person_name.get(p) or "" for p in r.parties])
                    for r in c.reviews] if review else []
            yield (c.code, self.person_name.get(c.person_id), self.unit_name.get(c.unit_id),
                   c.situation, c.finding, c.handling, c.decided_on,
                   "是" if c.misconduct else "否", "是" if c.typical else "否",
                   "已办结" if c.closed else "办理中", "；".join(told) or None,
                   self._local(c.created_at), "；".join(
                       follow(f.kind, self.person_name.get(f.owner_id) or "", f.due_date,
                              f.done_on) for f in c.follow_ups) or None if follow else None)

    def _inspections(self) -> Iterator[tuple[object, ...]]:
        """One row per point of each 监督检查."""
        for x in self.ledger.inspections or ():
            for f in x.findings:
                yield (x.code, x.held_on, self.unit_name.get(x.unit_id), x.kind, f.point,
                       f.finding or "无问题", f.item_code, f.fix_code,
                       self.person_name.get(x.recorder_id) if x.recorder_id else None)

    def _assessments(self) -> Iterator[tuple[object, ...]]:
        for a in self.ledger.assessments or ():
            yield (a.year, self.unit_name.get(a.unit_id), a.grade,
                   self.person_name.get(a.led_by) if a.led_by else None, a.remarks or None,
                   self._local(a.created_at))

    def _events(self) -> Iterator[tuple[object, ...]]:
        groups = self.ledger.group_titles
        labels = self.owner_label
        words = self.words

        def who(key: str) -> str:
            kind, _, ident = key.partition(":")
            name = None
            try:
                number = int(ident)
            except ValueError:
                number = None
            if number is not None:
                name = labels.get(number) if kind == "p" else groups.get(number)
            return words.recipient(kind, name, ident)

        secret = self.ledger.cases is None  # a 问责 case leaves no trace outside the 纪委
        for e in self.ledger.events:
            if secret and e.subject_type == CASE_SUBJECT:
                continue
            data = _data(e.data)
            yield (e.id, e.at,
                   words.actor(labels.get(e.actor_person_id) if e.actor_person_id else None,
                               e.actor_telegram_id, data.get("via")),
                   words.event(e.kind),
                   words.subject(e.subject_type, e.subject_id,
                                 self._subject(e.subject_type, e.subject_id, e.item_code)),
                   words.details(e.kind, data, who) or None)

    def _subject(self, subject_type: str, subject_id: str, code: str | None) -> str | None:
        """An event's subject by name: an item's 编号, a person, a unit, a group."""
        if subject_type == "item":
            return code
        try:
            number = int(subject_id)
        except ValueError:
            return None
        if subject_type == "person":
            return self.owner_label.get(number)
        if subject_type == "unit":
            return self.unit_name.get(number)
        if subject_type == "group":
            return self.ledger.group_titles.get(number)
        return None

    def _scores(self) -> Iterator[tuple[object, ...]]:
        for label, scores in (("人员", self.ledger.person_scores),
                              ("单位", self.ledger.unit_scores)):
            for s in scores:
                yield _score_row(label, s)

    # -- helpers ---------------------------------------------------------------------------

    def _person(self, person_id: int | None) -> str | None:
        return self.person_name.get(person_id) if person_id is not None else None

    def _local(self, moment: datetime) -> datetime:
        """Excel knows no time zones: local time (the bot's zone, as stored), naive."""
        if moment.tzinfo is not None and self.tz is not None:
            moment = moment.astimezone(self.tz)
        return moment.replace(tzinfo=None)

    def _cells(self, rows: Iterable[Sequence[object]]) -> Iterator[list[object]]:
        """What the file holds: text a cell can carry, times local and naive."""
        local = self._local
        for row in rows:
            cells = list(row)
            for n, value in enumerate(cells):
                kind = type(value)
                if kind is str:
                    if len(value) > CELL_MAX or not value.isprintable():  # type: ignore[arg-type]
                        cells[n] = _text(value)  # type: ignore[arg-type]
                elif kind is datetime:
                    cells[n] = local(value)  # type: ignore[arg-type]
            yield cells

    def _sheet(self, book: xlsx.Workbook, plan: SheetPlan) -> None:
        """A sheet with a bold frozen header; continued on further sheets past Excel's
        row limit. The columns the import does not read are shaded."""
        name, columns, imported = plan.name, plan.columns, plan.imported
        rows = iter(plan.rows)
        sample = list(islice(rows, _SAMPLE))
        widths = _widths(columns, sample)
        header = [xlsx.HEADER_EXTRA if imported is not None and n >= imported else xlsx.HEADER
                  for n in range(len(columns))]
        remaining = chain(sample, rows)
        part, total = 1, 0
        while True:
            title = name if part == 1 else f"{name}（续{part - 1}）"
            sheet = book.sheet(title, widths, freeze_header=True)
            sheet.append(columns, header)
            written = sheet.rows(remaining, plan.numbers, limit=EXCEL_ROWS - 1)
            total += written
            if written < EXCEL_ROWS - 1 and not sheet.cut:
                break
            part += 1
        self.counts[name] = total

    def _help(self, book: xlsx.Workbook, rows: list[tuple[object, ...]]) -> None:
        sheet = book.sheet(HELP, (14, 90, 10))
        first, table = True, False
        for row in rows:
            if len(row) == 1:
                sheet.append([_text(str(row[0])) or None], xlsx.TITLE if first else xlsx.PLAIN)
                first = False
                continue
            cells = [_text(v) if isinstance(v, str) else v for v in row]
            sheet.append(cells, xlsx.WRAP if table else xlsx.WRAP_HEADER)
            table = True


CASE_SUBJECT = "case"  # events about 问责 cases (bot/services/cases.py)


def _held(t: LedgerTalk) -> tuple[object, ...]:
    return t.held_on, t.kind, t.note or None, t.recorded_at


def _score_row(label: str, s: Score) -> tuple[object, ...]:
    return (label, s.name, s.unit, s.counted, s.on_time, s.on_time_rate, s.reminded,
            s.answered, s.response_rate, s.score)


def _data(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {"data": text}
    return data if isinstance(data, dict) else {"data": data}


def _text(value: str) -> str:
    """What a cell can hold: no control characters, at most 32 767 characters."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return clip(value, CELL_MAX)


def display_width(value: object) -> int:
    """Columns a value takes on screen: CJK characters count double."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 8
    text = str(value)
    return sum(columns(c) for c in text)


def _widths(columns: Sequence[str], sample: list[Sequence[object]]) -> list[float]:
    widths = []
    for n, column in enumerate(columns):
        longest = max([display_width(column), *(display_width(r[n]) for r in sample
                                                  if n < len(r))])
        widths.append(float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH)))
    return widths
