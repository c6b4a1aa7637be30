"""The questions of the guided flows."""

from __future__ import annotations

from bot.services.flows import FlowPrompt, StepKind
from messages.format import esc
from messages.refusals import DATE_EXAMPLE, refusal

_TITLES = {"register": "登记人员", "new_item": "新建清单事项", "bind_group": "登记本群"}

_QUESTIONS: dict[tuple[str, str], str] = {
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
    ("bind_group", "kind"): "请选择本群的<b>类型</b>：",
    ("bind_group", "unit"): "请选择本群对应的<b>单位</b>：",
}

_LABELS = {
    "name": "姓名", "roles": "角色", "unit": "单位", "oversees": "分管", "kind": "类型",
    "title": "标题", "duty": "责任类型", "owner": "责任人", "parent": "上级事项",
    "source": "来源", "due": "截止日期",
}


def question_keys() -> set[tuple[str, str]]:
    return set(_QUESTIONS)


def prompt(p: FlowPrompt) -> str:
    state = p.state
    lines = [f"<b>{_TITLES[state.flow]}</b>"]
    answered = [(k, v) for k, v in state.labels.items() if v]
    if answered:
        lines += [f"{_LABELS.get(k, k)}：{esc(v)}" for k, v in answered]
    lines.append("")
    if p.error is not None:
        lines += [f"⚠️ {refusal(p.error)}", ""]
    lines.append(_QUESTIONS[(state.flow, state.step)])
    if p.kind is StepKind.MULTI and state.picked:
        chosen = dict(map(tuple, state.options))
        lines.append("已选：" + esc("、".join(chosen[v] for v in state.picked)))
    if p.typed_only:
        lines.append("选项较多，请直接输入名称。")
    elif p.kind is not StepKind.TEXT:
        lines.append("（也可以直接输入）")
    tail = "发送 /取消 可随时退出。"
    if p.optional:
        tail = "没有的话可点“跳过”。" + tail
    lines.append(tail)
    return "\n".join(lines)


def cancelled(flow: str) -> str:
    return f"已取消{_TITLES[flow]}，没有保存任何内容。"
