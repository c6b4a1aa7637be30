"""The reminder policy (SPEC §4): when reminders go out and how overdue items climb the chain.

Defaults come from the rules file; an admin may override them with /提醒设置.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import time

LEAD_DAYS_MAX = 60
AFTER_DAYS_MAX = 60


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A span of the day in which nothing is sent; it may wrap past midnight."""

    start: time
    end: time

    def covers(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    lead_days: tuple[int, ...] = (7, 3, 1, 0)  # T-7, T-3, T-1, T-0
    send_time: time = time(9, 0)
    quiet_hours: QuietHours | None = QuietHours(time(21, 0), time(8, 0))
    owner_after_days: int = 1  # T+1: the owner is told; 0 switches a step off
    leaders_after_days: int = 3  # T+3: the 分管领导 and the 书记
    discipline_after_days: int = 7  # T+7: the 纪委 groups

    def is_quiet(self, moment: time) -> bool:
        return self.quiet_hours is not None and self.quiet_hours.covers(moment)


class PolicyError(ValueError):
    """A policy that cannot work; the message says why, in Chinese, for the admin."""


def check_policy(policy: ReminderPolicy) -> ReminderPolicy:
    if len(set(policy.lead_days)) != len(policy.lead_days):
        raise PolicyError("提前天数不能重复")
    if any(not 0 <= d <= LEAD_DAYS_MAX for d in policy.lead_days):
        raise PolicyError(f"提前天数须在 0 到 {LEAD_DAYS_MAX} 之间")
    steps = (policy.owner_after_days, policy.leaders_after_days, policy.discipline_after_days)
    if any(not 0 <= d <= AFTER_DAYS_MAX for d in steps):
        raise PolicyError(f"逾期提醒天数须在 0 到 {AFTER_DAYS_MAX} 之间（0 表示不提醒）")
    if policy.is_quiet(policy.send_time):
        raise PolicyError("发送时间落在免打扰时段内，提醒将永远发不出去")
    if policy.quiet_hours and policy.quiet_hours.start == policy.quiet_hours.end:
        raise PolicyError("免打扰时段的开始和结束不能相同")
    return policy


# Reading what an admin types in /提醒设置 ---------------------------------------------------

# ASCII digits only (after folding the full-width ones): ٣ or ² are not numbers here.
_TIME = re.compile(r"([0-9]{1,2})[:：点]([0-9]{2})?分?", re.ASCII)
_DAYS = re.compile(r"([0-9]{1,3})天?", re.ASCII)
_FULLWIDTH = str.maketrans("０１２３４５６７８９：，、－～\u3000", "0123456789:,,-~ ")
MAX_SETTING = 64  # characters: anything longer is not a setting
_OFF_WORDS = frozenset({"关", "关闭", "无", "不设", "off", "none"})


def parse_time(text: str) -> time:
    """09:00, 9:00, 9点, 9：30 → a time of day."""
    cleaned = text.strip().translate(_FULLWIDTH)
    match = _TIME.fullmatch(cleaned) if len(cleaned) <= MAX_SETTING else None
    if match is None:
        raise PolicyError(f"“{text.strip()[:20]}”不是时间，请写成 09:00 这样")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise PolicyError(f"“{text.strip()[:20]}”不是有效的时间")
    return time(hour, minute)


def parse_quiet_hours(text: str) -> QuietHours | None:
    """21:00-08:00 → a span; 关闭 → none."""
    cleaned = text.strip().translate(_FULLWIDTH).replace("至", "-").replace("~", "-")
    if cleaned.lower() in _OFF_WORDS or not cleaned:
        return None
    start, sep, end = cleaned.partition("-")
    if not sep:
        raise PolicyError("免打扰时段请写成 21:00-08:00 这样，或写“关闭”")
    return QuietHours(parse_time(start), parse_time(end))


def parse_days(text: str, count: int | None = None) -> tuple[int, ...]:
    """7,3,1,0 or 7 3 1 0 → numbers of days (exactly `count` of them, when given)."""
    cleaned = text.strip().translate(_FULLWIDTH)
    words = [w for w in re.split(r"[, ]+", cleaned) if w] if len(cleaned) <= MAX_SETTING \
        else [cleaned]
    matches = [_DAYS.fullmatch(w) for w in words]
    if not all(matches):
        raise PolicyError(f"“{text.strip()[:20]}”里有不是天数的内容，请只写数字")
    days = tuple(int(m.group(1)) for m in matches)
    if not days:
        raise PolicyError("请写出天数，例如 7,3,1,0")
    if count is not None and len(days) != count:
        raise PolicyError(f"请写 {count} 个天数，例如 1,3,7")
    return days


def format_time(moment: time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def format_quiet_hours(quiet: QuietHours | None) -> str:
    return "" if quiet is None else f"{format_time(quiet.start)}-{format_time(quiet.end)}"


#: The settings an admin may override, stored as text in policy_overrides.
SETTING_KEYS = ("lead_days", "send_time", "quiet_hours", "escalation")


def encode_setting(key: str, policy: ReminderPolicy) -> str:
    """The text stored for one setting of a policy."""
    if key == "lead_days":
        return ",".join(str(d) for d in policy.lead_days)
    if key == "send_time":
        return format_time(policy.send_time)
    if key == "quiet_hours":
        return format_quiet_hours(policy.quiet_hours)
    return ",".join(str(d) for d in (policy.owner_after_days, policy.leaders_after_days,
                                     policy.discipline_after_days))


def with_setting(policy: ReminderPolicy, key: str, text: str) -> ReminderPolicy:
    """The policy with one setting read from text (as typed or as stored); checked."""
    return check_policy(_apply(policy, key, text))


def _apply(policy: ReminderPolicy, key: str, text: str) -> ReminderPolicy:
    if key == "lead_days":
        return replace(policy, lead_days=tuple(sorted(parse_days(text), reverse=True)))
    if key == "send_time":
        return replace(policy, send_time=parse_time(text))
    if key == "quiet_hours":
        return replace(policy, quiet_hours=parse_quiet_hours(text))
    if key == "escalation":
        owner, leaders, discipline = parse_days(text, count=3)
        return replace(policy, owner_after_days=owner, leaders_after_days=leaders,
                       discipline_after_days=discipline)
    raise PolicyError(f"没有“{key}”这项设置")


def with_settings(policy: ReminderPolicy, stored: dict[str, str]) -> ReminderPolicy:
    """The rules-file policy with an admin's stored overrides applied together (one may
    only make sense with another, such as a send time and the quiet hours it leaves).
    Overrides that no longer fit (the rules file changed under them) are dropped."""
    changed = policy
    try:
        for key in SETTING_KEYS:
            if key in stored:
                changed = _apply(changed, key, stored[key])
        return check_policy(changed)
    except PolicyError:
        return policy
