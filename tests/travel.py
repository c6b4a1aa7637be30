"""Travelling the clock: tick day by day at 09:00 and note what each chat received."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from bot.fake_telegram.driver import BotDriver
from tests.conftest import TZ


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


class Diary:
    """What each chat received on which day: {chat: [(day, codes in the message)]}."""

    def __init__(self, api) -> None:
        """Starts now: what was sent while setting up is not in the diary."""
        self.api = api
        self.seen = {chat_id: len(api.bot_messages(chat_id)) for chat_id in api.messages}
        self.days: dict[int, list[tuple[date, tuple[str, ...]]]] = {}

    def collect(self, day: date) -> None:
        for chat_id in list(self.api.messages):
            sent = self.api.bot_messages(chat_id)
            for message in sent[self.seen.get(chat_id, 0):]:
                if is_weekly(message):  # the weekly summary has tests of its own
                    continue
                codes = tuple(re.findall(r"\b[WZCLG]\d{4}\b", message.plain.split("\n", 2)[-1]))
                self.days.setdefault(chat_id, []).append((day, codes))
            self.seen[chat_id] = len(sent)


def is_weekly(message) -> bool:
    return message.photo is not None or message.plain.startswith("📊 ")


async def travel(bot: BotDriver, clock, diary: Diary, start: date, end: date,
                 skip: set[date] = frozenset()) -> None:
    """Every day from start to end at 09:00 (the scheduler's tick), unless skipped."""
    day = start
    while day <= end:
        if day not in skip:
            clock.set(at(day))
            await bot.tick()
            diary.collect(day)
        day += timedelta(days=1)
