"""The 看板 as the template reads it: the service's figures (bot/services/board.py) turned
into rows, percentages and the trend drawn as inline SVG geometry (no JS, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.board import WeekRate
from bot.domain.delegation import Level
from bot.domain.summary import ItemLine, Row
from bot.services.board import Board

# the trend's drawing area, in SVG user units (the SVG scales to the screen's width)
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 28, 14, 34


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


@dataclass(frozen=True, slots=True)
class Line:
    code: str
    title: str
    owner: str
    unit: str
    due: str
    late: int  # days overdue (0 for a yellow line)


@dataclass(frozen=True, slots=True)
class TableRow:
    label: str
    total: int
    finished: int
    overdue: int
    soon: int
    on_track: int
    rate: str


@dataclass(frozen=True, slots=True)
class LevelRow:
    label: str
    total: int
    done: int
    done_rate: str
    on_time_rate: str


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str  # the week's Monday, M/D
    value: str  # the rate as a percentage


@dataclass(frozen=True, slots=True)
class Trend:
    width: int
    height: int
    points: list[Point]  # weeks with a rate
    paths: list[str]  # polyline point lists, broken where a week has no rate
    ticks: list[tuple[float, str]]  # x and label of each week
    grid: list[tuple[float, str]]  # y and label: 0%, 50%, 100%
    base_y: float
    left: int = LEFT  # the grid lines run from here
    right: int = WIDTH - RIGHT  # to here


def _line(line: ItemLine, today: date) -> Line:
    return Line(code=line.code, title=line.title, owner=line.owner, unit=line.unit,
                due=f"{line.due_date:%Y-%m-%d}", late=max((today - line.due_date).days, 0))


def _row(row: Row) -> TableRow:
    return TableRow(label=row.label, total=row.total, finished=row.finished,
                    overdue=row.overdue, soon=row.soon, on_track=row.on_track,
                    rate=percent(row.on_time.on_time_rate))


def trend(weeks: list[WeekRate]) -> Trend:
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(weeks) - 1, 1)

    def y_of(rate: float) -> float:
        return round(TOP + inner_h * (1 - rate), 1)

    points, paths, current, ticks = [], [], [], []
    for i, week in enumerate(weeks):
        x = round(LEFT + step * i, 1)
        label = f"{week.monday.month}/{week.monday.day}"
        if i % 2 == (len(weeks) - 1) % 2:  # every other week labelled, this week always
            ticks.append((x, label))
        if week.rate is None:
            if current:
                paths.append(" ".join(current))
            current = []
            continue
        y = y_of(week.rate)
        points.append(Point(x, y, label, percent(week.rate)))
        current.append(f"{x},{y}")
    if current:
        paths.append(" ".join(current))
    grid = [(y_of(r), percent(r)) for r in (0.0, 0.5, 1.0)]
    return Trend(WIDTH, HEIGHT, points, paths, ticks, grid, float(HEIGHT - BOTTOM))


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    everything: bool
    scope_units: str
    as_of: str
    overall: TableRow
    red: list[Line]
    red_more: int
    yellow: list[Line]
    yellow_more: int
    green_total: int
    by_unit: list[TableRow]
    by_duty: list[TableRow]
    by_list: list[TableRow]
    talks_required: int
    talks_required_held: int
    talks_adhoc: int
    talks_adhoc_held: int
    fixes_open: int
    fixes_overdue: int
    fixes_pending: int
    fixes_verified: int
    levels: list[LevelRow]
    lags: list[tuple[Line, Line]]
    chain_links: int
    trend: Trend


def page(board: Board, level_names: list[str]) -> Page:
    s = board.summary
    today = board.today
    levels = [LevelRow(label=level_names[f.level] if f.level < len(level_names)
                       else Level(f.level).name,
                       total=f.total, done=f.done, done_rate=percent(f.done_rate),
                       on_time_rate=percent(f.on_time_rate))
              for f in board.chain.levels]
    lags = []
    for lag in board.chain.lags[:20]:
        lags.append(tuple(Line(code=i.code, title=i.title, owner="", unit="",
                               due=f"{i.due_date:%Y-%m-%d}",
                               late=max((today - i.due_date).days, 0))
                          for i in (lag.parent, lag.child)))
    return Page(
        name=board.person.name, everything=board.everything,
        scope_units="、".join(board.scope_units), as_of=f"{board.now:%Y-%m-%d %H:%M}",
        overall=_row(s.overall),
        red=[_line(x, today) for x in s.red], red_more=max(s.red_total - len(s.red), 0),
        yellow=[_line(x, today) for x in s.yellow],
        yellow_more=max(s.yellow_total - len(s.yellow), 0),
        green_total=s.green_total,
        by_unit=[_row(r) for r in s.by_unit], by_duty=[_row(r) for r in s.by_duty],
        by_list=[_row(r) for r in s.by_list],
        talks_required=s.talks.required, talks_required_held=s.talks.required_held,
        talks_adhoc=s.talks.adhoc, talks_adhoc_held=s.talks.adhoc_held,
        fixes_open=s.fixes.open, fixes_overdue=s.fixes.overdue,
        fixes_pending=s.fixes.pending, fixes_verified=s.fixes.verified,
        levels=levels, lags=lags, chain_links=board.chain.links,
        trend=trend(board.trend),
    )
