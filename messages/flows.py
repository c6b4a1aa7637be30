"""The questions of the guided flows."""

from __future__ import annotations

from bot.services.flows import FlowPrompt, StepKind
from messages.format import esc
from messages.handover import confirm_question, plan_text
from messages.refusals import DATE_EXAMPLE, refusal

_TITLES = {"register": "登记人员", "new_item": "新建清单事项", "bind_group": "登记本群",
           "report": "汇报进展", "extension": "申请延期", "send_back": "退回整改",
           "note": "添加进展说明", "talk_record": "登记谈话", "talk_schedule": "安排约谈",
           "case_record": "登记问责案件", "inspection_record": "登记监督检查",
           "reconcile_reason": "对账：未完成原因",
           "handover": "人员交接"}

_QUESTIONS: dict[tuple[str, str], str] = {
    ("handover", "leaver"): "谁离任？请选择<b>离任人员</b>（可输入姓名，重名时写 姓名@单位）：",
    ("handover", "successor"): "由谁接任？请选择<b>继任人员</b>（须是同一单位已登记的人员，"
                               "新人请先用 /登记 登记）：",
    ("handover", "confirm"): confirm_question(),
    ("register", "name"): "请输入要登记人员的<b>姓名</b>：",
    ("register", "roles"): "请选择<b>角色</b>（可多选，选好后点“完成”）：",
    ("register", "unit"): "请选择<b>所在单位</b>：",
    ("register", "oversees"): "请选择此班子成员<b>分管的单位</b>（可多选，选好后点“完成”）：",
    ("new_item", "kind"): "请选择<b>清单类型</b>：",
    ("new_item", "title"): "请输入事项<b>标题</b>（最多200字）：",
    ("new_item", "duty"): "请选择<b>责任类型</b>（四责）：",
    ("new_item", "owner"): "请选择<b>责任人</b>：",
    ("new_item", "unit"): "请选择事项<b>所在单位</b>：",
    ("new_item", "parent"): "请选择<b>上级事项</b>（责任传导链：问题 → 责任 → 措施）：",
    ("new_item", "source"): "请选择问题<b>来源</b>：",
    ("new_item", "due"): f"请输入<b>截止日期</b>。{DATE_EXAMPLE}",
    ("new_item", "confirm"): "请核对以上信息，无误后点“确认创建”：",
    ("new_item", "found_by"): "这项整改的问题是怎么发现的？请选择<b>来源</b>：",
    ("new_item", "plan_due"): f"请输入<b>整改方案</b>报送期限。{DATE_EXAMPLE}",
    ("bind_group", "kind"): "请选择本群的<b>类型</b>：",
    ("report", "item"): "请选择要汇报的<b>事项</b>（也可以输入编号）：",
    ("report", "status"): "请选择事项现在的<b>状态</b>：",
    ("report", "note"): "请写一句<b>进展说明</b>（最多500字）：",
    ("extension", "due"): f"请输入希望延期到的<b>新截止日期</b>。{DATE_EXAMPLE}",
    ("extension", "reason"): "请说明<b>延期理由</b>（最多500字），提交后送审批：",
    ("send_back", "reason"): "请说明<b>退回理由</b>（最多500字），会转告责任人：",
    ("note", "item"): "这条消息涉及多个事项，请选择您的说明是关于<b>哪一项</b>的：",
    ("talk_record", "held_on"): "谈话是<b>哪天</b>进行的？（也可以输入日期，如 12月3日）",
    ("talk_record", "talk"): "请选择<b>谈话类型</b>：",
    ("talk_record", "note"): "请简要记录<b>谈话情况</b>（最多500字）：",
    ("talk_schedule", "person"): "请选择<b>约谈对象</b>：",
    ("talk_schedule", "talk"): "请选择<b>谈话类型</b>：",
    ("talk_schedule", "due"): f"请输入<b>完成期限</b>。{DATE_EXAMPLE}",
    ("bind_group", "unit"): "请选择本群对应的<b>单位</b>：",
    ("reconcile_reason", "reason"): "请写明这项<b>未完成的原因</b>（最多500字），报告后等待对账确认：",
    ("case_record", "concerned"): "问责案件涉及<b>哪一位</b>？（可输入姓名，重名时写 姓名@单位）",
    ("case_record", "situation"): "适用哪一种<b>追责情形</b>？（可点选或输入编号）",
    ("case_record", "misconduct"): "是否为<b>违纪违法</b>案件？是则按“一案双查”同时开启主体责任和监督责任倒查：",
    ("case_record", "handling"): "<b>处理</b>方式（尚未决定可点“跳过”）：",
    ("case_record", "finding"): "请简要写明<b>查明的问题</b>（最多500字）。案件内容保密，只在私聊中显示：",
    ("inspection_record", "unit"): "检查的是<b>哪个单位</b>？",
    ("inspection_record", "kind"): "请选择<b>检查类型</b>：",
    ("inspection_record", "inspected_on"): "检查是<b>哪天</b>进行的？（如 11月20日、昨天）",
    ("inspection_record", "point_division"): "<b>责任分解是否明确</b>？没有问题点“无问题”，有问题请写明（最多500字）：",
    ("inspection_record", "point_items"): "<b>责任项目是否落实</b>？没有问题点“无问题”，有问题请写明（最多500字）：",
    ("inspection_record", "point_coordination"): "<b>责任履行是否协同</b>？没有问题点“无问题”，有问题请写明（最多500字）：",
    ("inspection_record", "point_pursuit"): "<b>责任追究是否严格</b>？没有问题点“无问题”，有问题请写明（最多500字）：",
}

_LABELS = {
    "name": "姓名", "roles": "角色", "unit": "单位", "oversees": "分管", "kind": "类型",
    "title": "标题", "duty": "责任类型", "owner": "责任人", "parent": "上级事项",
    "source": "来源", "due": "截止日期", "item": "事项", "status": "状态", "note": "说明",
    "reason": "理由", "held_on": "谈话日期", "talk": "谈话类型", "person": "约谈对象",
    "found_by": "来源", "plan_due": "整改方案期限",
    "point_division": "责任分解", "point_items": "责任落实", "point_coordination": "责任协同",
    "point_pursuit": "责任追究", "inspected_on": "检查日期",
    "concerned": "涉及人员", "leaver": "离任", "successor": "继任", "situation": "追责情形", "misconduct": "违纪违法", "handling": "处理", "finding": "查明问题",
}


def question_keys() -> set[tuple[str, str]]:
    return set(_QUESTIONS)


def prompt(p: FlowPrompt, in_group: bool = False) -> str:
    """A flow's question. In a group (privacy mode on) only a reply to the bot reaches it,
    so a typed answer must quote the question: `in_group` says so."""
    state = p.state
    lines = [f"<b>{_TITLES[state.flow]}</b>"]
    answered = [(k, v) for k, v in state.labels.items() if v]
    if answered:
        lines += [f"{_LABELS.get(k, k)}：{esc(v)}" for k, v in answered]
    lines.append("")
    if p.error is not None:
        lines += [f"⚠️ {refusal(p.error)}", ""]
    if "preview" in state.answers and state.step == "confirm":  # /交接: the dry run
        lines += [plan_text(state.answers["preview"]), ""]
    lines.append(_QUESTIONS[(state.flow, state.step)])
    if p.kind is StepKind.MULTI and state.picked:
        chosen = dict(map(tuple, state.options))
        lines.append("已选：" + esc("、".join(chosen[v] for v in state.picked)))
    if p.typed_only:
        lines.append("选项较多，请直接输入名称。")
    elif p.kind is not StepKind.TEXT:
        lines.append("（也可以直接输入）")
    tail = "发送 /取消 可随时退出。"
    if in_group:
        lines.append("在群里输入时，请回复（引用）本条消息，否则我收不到。")
    if p.optional:
        tail = "没有的话可点“跳过”。" + tail
    lines.append(tail)
    return "\n".join(lines)


def cancelled(flow: str) -> str:
    return f"已取消{_TITLES[flow]}，没有保存任何内容。"
