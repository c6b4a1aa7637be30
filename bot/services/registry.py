"""All services, opened together on start and closed together on shutdown.

This is where the parts are put together (the composition root): it alone hands the
services what the floors above provide, such as the robots' wire (bot/channels/robots/
wire.py) for the channel service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from bot.channels.robots.wire import RobotWire
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.vocabulary import configure_body
from bot.offload import Offloader, shared
from bot.rules import Rules, load_rules
from bot.services.backups import BackupPolicy, BackupService
from bot.services.board import BoardService
from bot.services.case_flow import CaseRecordFlow
from bot.services.cases import CaseService
from bot.services.channels import ChannelService
from bot.services.decisions import DecisionService
from bot.services.delegation import DelegationService
from bot.services.delivery import DeliveryService
from bot.services.export import ExportService
from bot.services.flows import BindGroupFlow, FlowService, NewItemFlow, RegisterFlow
from bot.services.followups import FollowUpService
from bot.services.groups import GroupService
from bot.services.handover import HandoverService
from bot.services.handover_flow import HandoverFlow
from bot.services.imports import ImportService
from bot.services.inbox import InboxService
from bot.services.inspection_flow import InspectionRecordFlow
from bot.services.inspections import AssessmentService, InspectionService
from bot.services.items import ItemService
from bot.services.letters import LetterService
from bot.services.people import PeopleService
from bot.services.rectifications import RectificationService
from bot.services.reminders import ReminderService
from bot.services.replies import ReplyService
from bot.services.reply_flows import (
    ExtensionFlow,
    NoteFlow,
    ReconcileReasonFlow,
    ReportFlow,
    SendBackFlow,
    TalkRecordFlow,
    TalkScheduleFlow,
)
from bot.services.robots import RobotOutbox
from bot.services.summary import SummaryService
from bot.services.talks import TalkService
from bot.services.webhook import WebhookService
from storage.backup import backup_engine
from storage.db import Database


@dataclass
class Services:
    db: Database
    clock: Clock
    people: PeopleService
    items: ItemService
    groups: GroupService
    flows: FlowService
    reminders: ReminderService
    delivery: DeliveryService
    replies: ReplyService
    fixes: RectificationService
    talks: TalkService
    imports: ImportService
    summary: SummaryService
    export: ExportService
    inbox: InboxService
    channels: ChannelService  # the office's group robots
    robots: RobotOutbox  # what each robot sends next, and when
    cases: CaseService  # the 问责 register (confidential)
    decisions: DecisionService  # decisions waiting on someone: digests, /待办, escalation
    delegation: DelegationService  # 责任传导: 分解 and the 温差落差 report
    letters: LetterService  # 责任书 签字背书 and the year-end 对账
    offload: Offloader  # heavy work (workbooks, charts) in child processes
    inspections: InspectionService  # 监督检查 (the 纪委's)
    assessments: AssessmentService  # 检查考核 results (the 党委's)
    followups: FollowUpService  # a case's 书面检讨 and 深刻检查 (confidential)
    backups: BackupService  # the daily backup `dutybot run` takes by itself
    webhook: WebhookService  # the webhook's secret token, /healthz (issue 23)
    board: BoardService  # the 纪委 看板's links, sessions and figures (issue 24)
    handover: HandoverService  # 人员交接 (issue 24 §5)

    @classmethod
    async def open(cls, settings: Settings, clock: Clock, rules: Rules | None = None,
                   offload: Offloader | None = None) -> Services:
        """`offload`: the child processes for heavy work; by default the process's own,
        which outlives these services (tests open many, and share its children)."""
        rules = rules or load_rules(settings.rules)
        configure_body(rules.body)  # every text names the configured body (bot/domain/bodies.py)
        offload = offload or shared()
        db = await Database.open(settings.database)
        await db.migrate()
        people = PeopleService(db, clock, settings.admin_ids, settings.invite_days)
        calendar = WorkCalendar(rules.calendar)
        decisions = DecisionService(db, clock, calendar, rules.policy)
        items = ItemService(db, clock, waiting_in=decisions.waiting_in)
        groups = GroupService(db, clock)
        replies = ReplyService(db, clock, settings.admin_ids)
        fixes = RectificationService(items)
        talks = TalkService(replies, rules.talk_kinds)
        reminders = ReminderService(db, clock, rules, calendar, settings.admin_ids,
                                    decisions=decisions.pending_in)
        cases = CaseService(db, clock, rules.accountability, calendar, reminders.policy,
                            rules.followups)
        inspections = InspectionService(db, clock, items, fixes, rules.inspections.fix_days,
                                        rules.inspections.plan_days)
        letters = LetterService(db, clock, rules.letters, calendar, reminders.policy)
        handover = HandoverService(db, clock, decisions.pending_in)
        flows = FlowService(db, clock, [
            RegisterFlow(people), NewItemFlow(items, fixes), BindGroupFlow(groups),
            ReportFlow(replies), ExtensionFlow(replies), SendBackFlow(replies), NoteFlow(replies),
            TalkRecordFlow(talks), TalkScheduleFlow(talks), CaseRecordFlow(cases),
            InspectionRecordFlow(inspections),
            ReconcileReasonFlow(letters), HandoverFlow(handover),
        ])
        delivery = DeliveryService(db, clock, settings.admin_ids, reminders.policy)
        delivery.lease = timedelta(seconds=settings.worker_lease)  # several processes
        inbox = InboxService(db, clock)
        inbox.lease = delivery.lease
        summary = SummaryService(db, clock, calendar, rules.weekly)
        return cls(db=db, clock=clock, people=people, items=items, groups=groups, flows=flows,
                   reminders=reminders, delivery=delivery, replies=replies, fixes=fixes,
                   talks=talks, imports=ImportService(db, clock, people, offload, cases=cases),
                   summary=summary,
                   export=ExportService(db, clock, offload, summary.performance),
                   inbox=inbox, offload=offload,
                   channels=ChannelService(db, clock, RobotWire(), settings.confidential),
                   robots=RobotOutbox(db, clock, delivery, settings.confidential),
                   cases=cases, letters=letters, decisions=decisions,
                   delegation=DelegationService(db, clock, replies),
                   inspections=inspections,
                   assessments=AssessmentService(db, clock, rules.inspections.grades,
                                                 summary.performance),
                   followups=FollowUpService(db, clock, calendar, reminders.policy),
                   backups=_backups(settings, db, clock),
                   webhook=WebhookService(db, clock),
                   board=BoardService(db, clock), handover=handover)

    async def tick(self) -> int | None:
        """What the clockwork does every tick: obligations and today's reminders, then
        this week's summary for the 纪委 groups when it is due. Returns how many
        reminders were planned (None: no plan ran)."""
        try:
            return await self.reminders.tick()
        finally:  # a failed reminder plan must not hold up the week's summary
            await self.summary.plan_week()
            await self.cases.plan_drafts()
            await self.cases.plan_review_reminders()
            await self.decisions.plan_escalations()
            await self.followups.plan_reminders()
            await self.letters.plan()
            await self.inbox.prune()
            await self.robots.prune()

    @classmethod
    @asynccontextmanager
    async def opened(cls, settings: Settings, clock: Clock | None = None
                     ) -> AsyncIterator[Services]:
        """The services for one piece of console work, closed after it (the office's
        clock unless one is given)."""
        services = await cls.open(settings, clock or SystemClock(settings.tz))
        try:
            yield services
        finally:
            await services.close()

    async def close(self) -> None:
        await self.db.close()


def _backups(settings: Settings, db: Database, clock: Clock) -> BackupService:
    policy = BackupPolicy(folder=settings.backup_folder, at=settings.backup_at,
                          keep_daily=settings.backup_keep_daily,
                          keep_weekly=settings.backup_keep_weekly)
    engine = backup_engine(settings.db_path, settings.database_url)  # pg_dump on PostgreSQL
    return BackupService(db, clock, engine, policy, settings.admin_ids,
                         stem=settings.db_path.stem)
