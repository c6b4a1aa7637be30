"""The rules file (SPEC §4): reminder policy, escalation, calendar overrides, obligations.

The shipped `default_rules.toml` holds the defaults; `DUTYBOT_RULES` may name a file whose
contents are merged over them. Every problem is one `RulesError` line naming the file, the
line and the key (in Chinese, for the office operator), e.g.
`DUTYBOT_RULES rules.toml 第 12 行 obligation[2].due：应为 MM-DD，现为 '02-30'`.
Obligations and array items are counted from 1 in messages, as people count blocks.
"""

from __future__ import annotations

import copy
import difflib
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    ValidationError,
)

from bot.config import ConfigError
from bot.domain.assessments import DEFAULT_GRADES
from bot.domain.bodies import DEFAULT as DEFAULT_BODY
from bot.domain.bodies import BodyNames, UnknownBody, body_named
from bot.domain.calendar import YearOverride
from bot.domain.cases import Situation
from bot.domain.inspections import FollowUpTerms
from bot.domain.model import TALK_KINDS, Duty, Role
from bot.domain.obligations import (
    TITLE_FIELDS,
    TRIGGER_NAMES,
    Category,
    ObligationRule,
    Pairing,
    Schedule,
)
from bot.domain.policy import (
    AFTER_DAYS_MAX,
    LEAD_DAYS_MAX,
    PolicyError,
    QuietHours,
    ReminderPolicy,
    check_policy,
)
from bot.domain.summary import WeeklyPolicy
from bot.domain.vocabulary import DUTY_NAMES, ROLE_NAMES, parse_term

ENV = "DUTYBOT_RULES"
DEFAULT_RULES = "default_rules.toml"
DAYS_AFTER_MAX = 90
TALK_KIND_MAX = 12  # a talk kind is a button label

Loc = tuple[str | int, ...]


class RulesError(ConfigError):
    """A rules file that cannot be used; one line naming the file, the line and the key."""


@dataclass(frozen=True)
class AccountabilityRules:
    """考责问责: the 追责情形 (by code), the 处理 list, a 倒查's time to finish."""

    situations: dict[str, Situation] = field(default_factory=dict)
    handlings: tuple[str, ...] = ()
    review_days: int = 30
    concerned_see_after_closing: bool = True  # False: the people a case concerns never see it


@dataclass(frozen=True)
class InspectionRules:
    """监督检查 and 考核: the 考核 grades; a finding's 整改 and 整改方案 days."""

    grades: tuple[str, ...] = DEFAULT_GRADES
    fix_days: int = 60
    plan_days: int = 15


@dataclass(frozen=True)
class LetterRules:
    """责任书 and 对账 (SPEC §11): the day each year the 责任书 go out, and the day the
    year-end 对账 begins, as (month, day). Both defaults: the source texts say 年初 and
    年终, not a date."""

    issue: tuple[int, int] = (1, 10)
    reconcile: tuple[int, int] = (12, 1)

    def issue_on(self, year: int) -> date:
        return date(year, *self.issue)

    def reconcile_on(self, year: int) -> date:
        return date(year, *self.reconcile)


@dataclass(frozen=True)
class Rules:
    policy: ReminderPolicy
    obligations: tuple[ObligationRule, ...]  # the enabled ones, in file order
    calendar: dict[int, YearOverride] = field(default_factory=dict)
    weekly: WeeklyPolicy = field(default_factory=WeeklyPolicy)
    accountability: AccountabilityRules = field(default_factory=AccountabilityRules)
    body: BodyNames = DEFAULT_BODY  # the supervising body's words (bot/domain/bodies.py)
    talk_kinds: tuple[str, ...] = TALK_KINDS  # the kinds of talk one records (SPEC §11)
    inspections: InspectionRules = field(default_factory=InspectionRules)
    followups: FollowUpTerms = field(default_factory=FollowUpTerms)
    letters: LetterRules = field(default_factory=LetterRules)


def load_rules(path: Path | None = None) -> Rules:
    """The shipped defaults, with the file at `path` (if any) merged over them."""
    text = (files("bot") / DEFAULT_RULES).read_text(encoding="utf-8")
    defaults = _Source(f"(built-in {DEFAULT_RULES})", text)
    merged = defaults.parse()
    origin = _Origin(defaults, [(defaults, i) for i in range(len(merged["obligation"]))])
    if path is not None:
        user = _Source(str(path), _read(Path(path)))
        merged = _merge(merged, user.parse(), origin, user)
    try:
        return _build(_RulesFile.model_validate(merged))
    except ValidationError as exc:
        raise origin.error_from(exc) from None
    except _Problem as problem:
        raise origin.error(problem.locs, problem.message) from None


# Reading and locating --------------------------------------------------------------------


def _read(path: Path) -> str:
    if not path.exists():
        raise RulesError(f"{ENV}: 规则文件 {path} 不存在：请检查路径，或不设置 {ENV} 以用内置规则")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RulesError(f"{ENV} {path}: 不是 UTF-8 编码的文本：请用 UTF-8 编码另存") from None
    except OSError as exc:
        raise RulesError(f"{ENV}: 无法读取规则文件 {path}（{exc.strerror or exc}）："
                         "请检查文件权限") from None


class _Source:
    """One TOML file: its name for messages, its text, and the lines its keys are on."""

    def __init__(self, name: str, text: str) -> None:
        self.name, self.text = name, text
        self.lines = _locate(text)

    def parse(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            message = " ".join(str(exc).split())
            raise RulesError(f"{ENV} {self.name}: 不是有效的 TOML（{message}）："
                             "请对照 README 的规则文件示例改正") from None

    def line(self, loc: Loc) -> int:
        """The line of the key, else of the nearest enclosing table, else 1."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return 1

    def error(self, loc: Loc, message: str) -> RulesError:
        return RulesError(f"{ENV} {self.name} 第 {self.line(loc)} 行 {_show_path(loc)}："
                          f"{message}")


_HEADER = re.compile(r"^(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def _key_parts(text: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in re.findall(_KEY_PART, text))


def _locate(text: str) -> dict[Loc, int]:
    """The line of each table header and key, by path: ('obligation', 2, 'due') is the due
    line of the third [[obligation]]. Enough for the shapes a rules file has."""
    found: dict[Loc, int] = {}
    table: Loc = ()
    counts: dict[Loc, int] = {}
    in_string = False  # inside a multi-line """string"""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_string:
            in_string = line.count('"""') % 2 == 0
        elif header := _HEADER.match(line):
            table = _key_parts(header.group(2))
            if header.group(1) == "[[":
                counts[table] = counts.get(table, 0) + 1
                table = (*table, counts[table] - 1)
            found.setdefault(table, number)
        elif key := _KEY.match(line):
            parts = _key_parts(key.group(1))
            for n in range(1, len(parts) + 1):
                found.setdefault((*table, *parts[:n]), number)
            in_string = line.count('"""') % 2 == 1
    return found


def _show_path(loc: Loc) -> str:
    shown = ""
    for part in loc:
        if part == "[key]":  # pydantic's mark for a bad dict key, e.g. the year in [calendar.x]
            continue
        if isinstance(part, int):
            shown += f"[{part + 1}]"
        else:
            shown += f".{part}" if shown else part
    return shown or "(file)"


# Merging ---------------------------------------------------------------------------------

_SECTIONS = ("reminders", "escalation", "summary", "accountability", "names", "talks",
             "inspections", "followups", "letters")
_SCHEDULE_FIELDS = ("due", "event", "days_after")
_WHOLE = frozenset({"key", "title", "kind", "duty", "who", "schedule"})


class _Problem(Exception):
    """A check after pydantic failed: where (best first), and why."""

    def __init__(self, locs: tuple[Loc, ...], message: str) -> None:
        super().__init__(message)
        self.locs, self.message = locs, message


@dataclass
class _Origin:
    """Which file, and where in it, each part of the merged rules came from."""

    defaults: _Source
    obligations: list[tuple[_Source, int]]  # merged index -> (file, index in that file)
    user: _Source | None = None
    user_data: dict[str, Any] = field(default_factory=dict)

    def place(self, loc: Loc) -> tuple[_Source, Loc]:
        if self.user is None or not loc:
            return self.user or self.defaults, loc
        head, data = loc[0], self.user_data
        if head == "obligation" and len(loc) > 1 and isinstance(loc[1], int):
            if loc[1] < len(self.obligations):
                source, index = self.obligations[loc[1]]
                return source, ("obligation", index, *loc[2:])
            return self.user, loc
        if head == "calendar" and len(loc) > 1:
            years = data.get("calendar")
            mine = isinstance(years, dict) and loc[1] in years
            return (self.user if mine else self.defaults), loc
        return (self.user if head in data else self.defaults), loc

    def error(self, locs: tuple[Loc, ...], message: str) -> RulesError:
        """At the first of the places that the user's file sets, else at the first."""
        chosen = next((loc for loc in locs if self._user_sets(loc)), locs[0])
        source, where = self.place(chosen)
        return source.error(where, message)

    def error_from(self, exc: ValidationError) -> RulesError:
        """The first problem in the file (by line) of all that pydantic found."""

        def rank(error: Any) -> tuple[int, int]:
            source, where = self.place(tuple(error["loc"]))
            return (0 if source is self.user else 1, source.line(where))

        first = min(exc.errors(), key=rank)
        return self.error((tuple(first["loc"]),), _message(first))

    def _user_sets(self, loc: Loc) -> bool:
        node: Any = self.user_data
        for part in loc:
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True


def _merge(base: dict[str, Any], data: dict[str, Any], origin: _Origin,
           user: _Source) -> dict[str, Any]:
    """The user's file over the defaults; `origin` learns where each part came from."""
    origin.user, origin.user_data = user, data
    merged = copy.deepcopy(base)
    for name, value in data.items():
        if name in _SECTIONS and isinstance(value, dict):
            merged[name].update(value)
        elif name == "calendar" and isinstance(value, dict):
            merged.setdefault("calendar", {}).update(value)
        elif name != "obligation":
            merged[name] = value
    entries = data.get("obligation")
    if entries is None:
        return merged
    if not isinstance(entries, list):
        merged["obligation"], origin.obligations = entries, []
        return merged
    rules: list[Any] = merged["obligation"]
    defaults = {e["key"]: i for i, e in enumerate(rules)}
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        key = entry.get("key") if isinstance(entry, dict) else None
        if isinstance(key, str):
            if key in seen:
                raise user.error(("obligation", index, "key"), f"key {key!r} 重复，"
                                 f"已用于 obligation[{seen[key] + 1}]")
            seen[key] = index
        if isinstance(key, str) and key in defaults:
            target = defaults[key]
            rules[target] = entry if set(entry) >= _WHOLE else _overlay(rules[target], entry)
            origin.obligations[target] = (user, index)
            continue
        if isinstance(entry, dict) and set(entry) == {"key", "enabled"} and not entry["enabled"]:
            raise user.error(("obligation", index, "key"),
                             f"内置规则里没有 {key!r} 这一项，无从停用")
        rules.append(entry)
        origin.obligations.append((user, index))
    return merged


def _overlay(default: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """A partial entry over the default one, field by field. A new schedule drops the old
    one's due/event/days_after, and a new kind the old `with`, unless they are given anew."""
    result = dict(default)
    if "schedule" in entry:
        for name in _SCHEDULE_FIELDS:
            result.pop(name, None)
    if "kind" in entry:
        result.pop("with", None)
    result.update(entry)
    return result


# Messages --------------------------------------------------------------------------------

_TYPE_MESSAGES = {
    "int_type": "应为整数",
    "string_type": '应为加引号的文字，如 "..."',
    "list_type": "应为列表，如 [...]",
    "bool_type": "应为 true 或 false",
    "dict_type": "应为一个表（[节名]）",
    "model_type": "应为一个表（[节名]）",
}


def _message(error: Any) -> str:
    kind, loc = error["type"], tuple(error["loc"])
    if kind == "extra_forbidden":
        return "没有这个设置项" + _suggest(loc)
    if kind == "missing":
        return "缺少必填的设置项"
    if kind in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[kind]}，现为 {_show(error.get('input'))}"
    return str(error["msg"]).removeprefix("Value error, ")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return "一个表"
    if isinstance(value, list):
        return "一个列表"
    return repr(value)


# The file's shape ------------------------------------------------------------------------

# ASCII digits only; \Z, not $, which would let a trailing newline through
_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})\Z")
_MONTH_DAY = re.compile(r"^([0-9]{1,2})-([0-9]{1,2})\Z")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_RULE_KEY = re.compile(r"^[a-z0-9_]+\Z")
_YEAR = re.compile(r"^[0-9]{4}\Z")

T = TypeVar("T")


def _text(parse: Callable[[str], T]) -> Callable[[Any], T]:
    """A before-validator: the value must be a TOML string, then `parse` reads it."""

    def check(value: Any) -> T:
        if not isinstance(value, str):
            raise ValueError(f"{_TYPE_MESSAGES['string_type']}，现为 {_show(value)}")
        return parse(value)

    return check


def _clock(text: str) -> time:
    match = _TIME.match(text.strip())
    if match and int(match.group(1)) <= 23 and int(match.group(2)) <= 59:
        return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"应为时间 HH:MM，现为 {text!r}")


def _quiet_hours(text: str) -> QuietHours | None:
    if not text.strip():
        return None
    start, _, end = text.partition("-")
    try:
        span = QuietHours(_clock(start), _clock(end))
    except ValueError:
        raise ValueError(f'应为 "HH:MM-HH:MM"，不设则写 ""，现为 {text!r}') from None
    if span.start == span.end:
        raise ValueError(f"开始和结束不能是同一时间，现为 {text!r}")
    return span


def _lead_day(value: int) -> int:
    if not 0 <= value <= LEAD_DAYS_MAX:
        raise ValueError(f"应为 0..{LEAD_DAYS_MAX} 天，现为 {value}")
    return value


def _lead_days(values: list[int]) -> list[int]:
    if not values:
        raise ValueError("至少列出一天，如 [7, 3, 1, 0]")
    for day in values:
        if values.count(day) > 1:
            raise ValueError(f"天数不能重复，{day} 出现了两次")
    return values


def _after_days(value: int) -> int:
    if not 0 <= value <= AFTER_DAYS_MAX:
        raise ValueError(f"应为 0..{AFTER_DAYS_MAX} 天（0 表示关闭），现为 {value}")
    return value


def _a_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"应为不带时间的日期，现为 {value.isoformat()}")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"应为日期 YYYY-MM-DD，现为 {_show(value)}")


def _year(text: str) -> str:
    if not _YEAR.match(text):
        raise ValueError(f"应为年份，如 [calendar.2027]，现为 {text!r}")
    return text


def _rule_key(text: str) -> str:
    if not _RULE_KEY.match(text):
        raise ValueError(f"只能用小写字母、数字和 _，现为 {text!r}")
    return text


def _placeholders(title: str) -> set[str]:
    try:
        parts = list(string.Formatter().parse(title))
    except ValueError:
        raise ValueError(f"有不成对的 {{ 或 }}，现为 {title!r}") from None
    names = set()
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in TITLE_FIELDS:
            allowed = ", ".join(f"{{{f}}}" for f in sorted(TITLE_FIELDS))
            raise ValueError(f"没有占位符 {{{name}}}；可用：{allowed}")
        if spec or conversion:
            raise ValueError(f"占位符只能是简单的名字，如 {{{name}}}，现为 {title!r}")
        names.add(name)
    return names


_SHORT_CODE = re.compile(r"[A-Za-z0-9_-]{1,8}")


def _short_code(text: str) -> str:
    if not _SHORT_CODE.fullmatch(text):
        raise ValueError(f"应为 1 到 8 个字母、数字、_ 或 -，现为 {text!r}")
    return text


def _nonempty(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("不能为空")
    return text


def _title(text: str) -> str:
    if not text.strip():
        raise ValueError("不能为空")
    _placeholders(text)
    return text


E = TypeVar("E", Category, Pairing, Schedule)


def _choice(kind: type[E], what: str) -> Callable[[str], E]:
    def check(text: str) -> E:
        try:
            return kind(text.strip())
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in kind)
            raise ValueError(f"{what} 没有 {text!r} 这个取值；可用：{allowed}") from None

    return check


def _duty(text: str) -> Duty:
    duty = parse_term(text, DUTY_NAMES)
    if duty is None:
        allowed = ", ".join(f"{d.value}/{n}" for d, n in DUTY_NAMES.items())
        raise ValueError(f"没有这个责任类型 {text!r}；可用：{allowed}")
    return duty


def _roles(words: Any) -> frozenset[Role]:
    if isinstance(words, str):  # a single role without the brackets
        words = [words]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError(f'应为加引号的角色列表，如 ["党委书记"]，'
                         f"现为 {_show(words)}")
    if not words:
        raise ValueError("至少写一个角色")
    roles = set()
    for word in words:
        role = parse_term(word, ROLE_NAMES)
        if role is None:
            allowed = ", ".join(f"{r.value}/{n}" for r, n in ROLE_NAMES.items())
            raise ValueError(f"没有这个角色 {word!r}；可用：{allowed}")
        roles.add(role)
    return frozenset(roles)


def _event(text: str) -> str:
    for key, name in TRIGGER_NAMES.items():
        if text.strip() in (key, name):
            return key
    allowed = ", ".join(repr(k) for k in TRIGGER_NAMES)
    raise ValueError(f"没有这个事件 {text!r}；可用：{allowed}")


def _month_day(text: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(text.strip())
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        if (month, day) == (2, 29):
            raise ValueError("应为每年都有的日子；不能是 02-29（请用 02-28）")
        try:
            date(2001, month, day)
        except ValueError:
            pass
        else:
            return month, day
    raise ValueError(f"应为 MM-DD，现为 {text!r}")


def _days_after(value: int) -> int:
    if not 1 <= value <= DAYS_AFTER_MAX:
        raise ValueError(f"应为 1..{DAYS_AFTER_MAX} 天，现为 {value}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Reminders(_Model):
    lead_days: Annotated[list[Annotated[int, AfterValidator(_lead_day)]],
                         AfterValidator(_lead_days)]
    send_time: Annotated[time, BeforeValidator(_text(_clock))]
    quiet_hours: Annotated[InstanceOf[QuietHours] | None, BeforeValidator(_text(_quiet_hours))]


_AfterDays = Annotated[int, AfterValidator(_after_days)]


class _Escalation(_Model):
    owner_after_days: _AfterDays
    leaders_after_days: _AfterDays
    discipline_after_days: _AfterDays


_WEEKDAYS = {"周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6,
             "星期一": 0, "星期二": 1, "星期三": 2, "星期四": 3, "星期五": 4, "星期六": 5,
             "星期日": 6, "星期天": 6, "周天": 6, "monday": 0, "tuesday": 1, "wednesday": 2,
             "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}


def _weekday(text: str) -> int | None:
    if not text.strip():
        return None  # no weekly push: the summary only on demand
    day = _WEEKDAYS.get(text.strip().lower())
    if day is None or day > 4:  # the push goes on workdays: Monday to Friday
        raise ValueError(f'应为 "周一" 到 "周五" 中的一天（或 "monday"…"friday"），'
                         f'或 ""，现为 {text!r}')
    return day


class _Summary(_Model):
    weekday: Annotated[int | None, BeforeValidator(_text(_weekday))]
    send_time: Annotated[time, BeforeValidator(_text(_clock))]


_Date = Annotated[date, BeforeValidator(_a_date)]


class _Year(_Model):
    holidays: list[_Date] = []
    workdays: list[_Date] = []


def _optional(parse: Callable[[Any], T]) -> Callable[[Any], T | None]:
    return lambda value: None if value is None else parse(value)


_Pairing = Annotated[Pairing | None, BeforeValidator(_optional(_text(_choice(Pairing, "with"))))]


class _Obligation(_Model):
    key: Annotated[str, AfterValidator(_rule_key)]
    title: Annotated[str, AfterValidator(_title)]
    kind: Annotated[Category, BeforeValidator(_text(_choice(Category, "kind")))]
    duty: Annotated[Duty, BeforeValidator(_text(_duty))]
    who: Annotated[frozenset[Role], BeforeValidator(_roles)]
    pairing: _Pairing = Field(default=None, alias="with")  # `with` is a Python keyword
    schedule: Annotated[Schedule, BeforeValidator(_text(_choice(Schedule, "schedule")))]
    due: Annotated[tuple[int, int] | None, BeforeValidator(_optional(_text(_month_day)))] = None
    event: Annotated[str | None, BeforeValidator(_optional(_text(_event)))] = None
    days_after: Annotated[int, AfterValidator(_days_after)] | None = None
    enabled: bool = True


class _Situation(_Model):
    code: Annotated[str, AfterValidator(_short_code)]
    text: Annotated[str, AfterValidator(_nonempty)]


class _Accountability(_Model):
    situations: list[_Situation]
    handlings: list[Annotated[str, AfterValidator(_nonempty)]]
    review_days: int = Field(ge=1, le=365)
    concerned_see: Literal["after_closing", "never"] = "after_closing"


def _body(text: str) -> BodyNames:
    try:
        return body_named(text)
    except UnknownBody as exc:
        raise ValueError(str(exc)) from None


class _Names(_Model):
    supervisor: Annotated[InstanceOf[BodyNames], BeforeValidator(_text(_body))]


def _talk_kinds(words: list[str]) -> list[str]:
    if not words:
        raise ValueError("须至少列出一种谈话类型，如 [\"廉政谈话\"]")
    for word in words:
        if words.count(word) > 1:
            raise ValueError(f"谈话类型“{word}”重复列出")
        if len(word) > TALK_KIND_MAX or "\n" in word:
            raise ValueError(f"谈话类型“{word}”须在一行内、最多{TALK_KIND_MAX}字（它是一个按钮）")
    return words


class _Talks(_Model):
    kinds: Annotated[list[Annotated[str, AfterValidator(_nonempty)]],
                     AfterValidator(_talk_kinds)]


class _Inspections(_Model):
    grades: list[Annotated[str, AfterValidator(_nonempty)]] = Field(min_length=1)
    fix_days: int = Field(ge=1, le=365)
    plan_days: int = Field(ge=1, le=365)


def _meeting_due(value: Any) -> tuple[int | None, tuple[int, int] | None]:
    """"quarter_end", a number of days, or "MM-DD": (days, month-day)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f'应为 "quarter_end"、天数或 "MM-DD"，'
                         f"现为 {_show(value)}")
    if isinstance(value, int):
        if not 1 <= value <= 365:
            raise ValueError(f"应为 1..365 天，现为 {value}")
        return value, None
    if value.strip() == "quarter_end":
        return None, None
    return None, _month_day(value)


class _FollowUps(_Model):
    written_days: int = Field(ge=1, le=365)
    meeting_due: Annotated[tuple[int | None, tuple[int, int] | None],
                           BeforeValidator(_meeting_due)]


class _Letters(_Model):
    issue: Annotated[tuple[int, int], BeforeValidator(_text(_month_day))]
    reconcile: Annotated[tuple[int, int], BeforeValidator(_text(_month_day))]


class _RulesFile(_Model):
    reminders: _Reminders
    escalation: _Escalation
    summary: _Summary
    accountability: _Accountability
    names: _Names
    talks: _Talks
    inspections: _Inspections
    followups: _FollowUps
    letters: _Letters
    calendar: dict[Annotated[str, AfterValidator(_year)], _Year] = {}
    obligation: list[_Obligation] = []


_KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": tuple(_RulesFile.model_fields),
    "reminders": tuple(_Reminders.model_fields),
    "escalation": tuple(_Escalation.model_fields),
    "summary": tuple(_Summary.model_fields),
    "accountability": tuple(_Accountability.model_fields),
    "names": tuple(_Names.model_fields),
    "talks": tuple(_Talks.model_fields),
    "inspections": tuple(_Inspections.model_fields),
    "followups": tuple(_FollowUps.model_fields),
    "letters": tuple(_Letters.model_fields),
    "calendar": tuple(_Year.model_fields),
    "obligation": tuple(f.alias or n for n, f in _Obligation.model_fields.items()),
}


def _suggest(loc: Loc) -> str:
    word, section = loc[-1], str(loc[0]) if len(loc) > 1 else ""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, _KNOWN_KEYS.get(section, ()), n=1)
    if close:
        return f"，是不是 {close[0]!r}？"
    home = next((s for s in _SECTIONS if not section and word in _KNOWN_KEYS[s]), None)
    return f"；它应写在 [{home}] 之下" if home else ""


# Building the domain ---------------------------------------------------------------------


def _build(model: _RulesFile) -> Rules:
    policy = _policy(model)
    calendar = {int(year): _year_override(year, entry) for year, entry in model.calendar.items()}
    seen: set[str] = set()
    rules = []
    for index, entry in enumerate(model.obligation):
        if entry.key in seen:  # the user's file was checked while merging; this is for ours
            raise _Problem((("obligation", index, "key"),), f"key {entry.key!r} 重复")
        seen.add(entry.key)
        rule = _rule(index, entry)
        if entry.enabled:
            rules.append(rule)
    weekly = WeeklyPolicy(weekday=model.summary.weekday, at=model.summary.send_time)
    return Rules(policy=policy, obligations=tuple(rules), calendar=calendar, weekly=weekly,
                 accountability=_accountability(model.accountability),
                 body=model.names.supervisor, talk_kinds=tuple(model.talks.kinds),
                 inspections=_inspections(model.inspections),
                 followups=_followups(model.followups),
                 letters=_letters(model.letters))


def _inspections(model: _Inspections) -> InspectionRules:
    if len(set(model.grades)) != len(model.grades):
        raise _Problem((("inspections", "grades"),), "有一个等次列了两次")
    return InspectionRules(grades=tuple(model.grades), fix_days=model.fix_days,
                           plan_days=model.plan_days)


def _followups(model: _FollowUps) -> FollowUpTerms:
    days, month_day = model.meeting_due
    return FollowUpTerms(written_days=model.written_days, meeting_days=days,
                         meeting_date=month_day)


def _letters(model: _Letters) -> LetterRules:
    if model.reconcile <= model.issue:
        raise _Problem((("letters", "reconcile"),), "应在一年中 `issue` 之后")
    return LetterRules(issue=model.issue, reconcile=model.reconcile)


def _accountability(model: _Accountability) -> AccountabilityRules:
    codes = [s.code for s in model.situations]
    for index, code in enumerate(codes):
        if code in codes[:index]:
            raise _Problem((("accountability", "situations", index, "code"),),
                           f"代码 {code!r} 重复")
    if len(set(model.handlings)) != len(model.handlings):
        raise _Problem((("accountability", "handlings"),), "有一种处理列了两次")
    return AccountabilityRules(
        situations={s.code: Situation(s.code, s.text) for s in model.situations},
        handlings=tuple(model.handlings), review_days=model.review_days,
        concerned_see_after_closing=model.concerned_see == "after_closing")


def _policy(model: _RulesFile) -> ReminderPolicy:
    reminders, escalation = model.reminders, model.escalation
    policy = ReminderPolicy(
        lead_days=tuple(sorted(reminders.lead_days, reverse=True)),
        send_time=reminders.send_time,
        quiet_hours=reminders.quiet_hours,
        owner_after_days=escalation.owner_after_days,
        leaders_after_days=escalation.leaders_after_days,
        discipline_after_days=escalation.discipline_after_days,
    )
    try:
        return check_policy(policy)
    except PolicyError as exc:
        places = (("reminders", "send_time"), ("reminders", "quiet_hours"),
                  ("reminders", "lead_days"), ("escalation",), ("reminders",))
        raise _Problem(places, f"提醒规则检查不通过：{exc}") from None


def _year_override(year: str, entry: _Year) -> YearOverride:
    for name in ("holidays", "workdays"):
        for index, day in enumerate(getattr(entry, name)):
            if str(day.year) != year:
                raise _Problem((("calendar", year, name, index),),
                               f"{day.isoformat()} 不在 {year} 年")
    both = sorted(set(entry.holidays) & set(entry.workdays))
    if both:
        raise _Problem((("calendar", year, "workdays"),),
                       f"{both[0].isoformat()} 既是假日又是工作日")
    return YearOverride(holidays=frozenset(entry.holidays), workdays=frozenset(entry.workdays))


def _rule(index: int, entry: _Obligation) -> ObligationRule:
    def problem(name: str, message: str) -> _Problem:
        return _Problem((("obligation", index, name),), message)

    talk, schedule = entry.kind is Category.TALK, entry.schedule
    fields = _placeholders(entry.title)
    if talk and entry.pairing is None:
        allowed = ", ".join(repr(p.value) for p in Pairing)
        raise problem("with", f'kind "talk" 必须有此项；可用：{allowed}')
    if not talk and entry.pairing is not None:
        raise problem("with", f'只用于 kind "talk"，不用于 {entry.kind.value!r}')
    if "with" in fields and entry.pairing is None:
        raise problem("title", "只有设置了 `with` 才能用 {with}")
    if "date" in fields and schedule is not Schedule.AFTER_EVENT:
        raise problem("title", '只有 schedule "after_event" 才能用 {date}')
    if schedule is Schedule.YEARLY and entry.due is None:
        raise problem("due", 'schedule "yearly" 必须有此项，如 due = "01-31"')
    if schedule is not Schedule.YEARLY and entry.due is not None:
        raise problem("due", f'只用于 schedule "yearly"，不用于 {schedule.value!r}')
    for name in ("event", "days_after"):
        given = getattr(entry, name) is not None
        if schedule is Schedule.AFTER_EVENT and not given:
            raise problem(name, 'schedule "after_event" 必须有此项')
        if schedule is not Schedule.AFTER_EVENT and given:
            raise problem(name, f'只用于 schedule "after_event"，不用于 {schedule.value!r}')
    month, day = entry.due or (None, None)
    return ObligationRule(
        key=entry.key,
        title=entry.title,
        category=entry.kind,
        duty=entry.duty,
        who=entry.who,
        schedule=schedule,
        due_month=month,
        due_day=day,
        event=entry.event,
        days_after=entry.days_after,
        pairing=entry.pairing,
    )
