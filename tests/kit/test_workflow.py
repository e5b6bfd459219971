"""The workflow kit's declarative part: transitions, rules, refusals (no database needed; moves
on real records are tested with the tasks and agreements that use it)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from coopzone.errors import Conflict, Forbidden, InvalidInput
from coopzone.kit.workflow import Rule, Transition, Workflow


@dataclass
class Who:
    label: str
    boss: bool = False


@dataclass
class Doc:
    state: str
    owner: str


FLOW: Workflow[Who, Doc] = Workflow(
    name="文件",
    transitions=(
        Transition("send", ("draft",), "sent", "owner"),
        Transition("approve", ("sent",), "approved", "boss"),
        Transition("reject", ("sent",), "draft", "boss", reason_required=True),
        Transition("archive", ("approved", "draft"), "archived", "boss"),
    ),
    rules={"owner": Rule(lambda p, d: p.label == d.owner),
           "boss": Rule(lambda p, d: p.boss,
                        lambda p, d, a: Forbidden("只有负责人可以审批", detail="boss only"))},
    state_labels={"draft": "草稿", "sent": "已报送"}, action_labels={"approve": "批准"},
)


def test_next_and_reachable_states() -> None:
    assert FLOW.next_states("draft") == ("sent", "archived")
    assert FLOW.next_states("sent") == ("approved", "draft")
    assert FLOW.reachable("approved") == ("archived",)
    assert FLOW.reachable("sent") == ("approved", "draft", "archived", "sent")
    assert FLOW.reachable("archived") == ()


def test_available_actions_follow_state_and_rule() -> None:
    doc = Doc("sent", "li")
    assert FLOW.available(Who("li"), doc) == []
    assert FLOW.available(Who("wang", boss=True), doc) == ["approve", "reject"]
    assert FLOW.available(Who("li"), Doc("draft", "li")) == ["send"]
    assert FLOW.available(Who("wang", boss=True), doc, ["approve"]) == ["approve"]


def test_check_refuses_in_order_unknown_forbidden_conflict_reason() -> None:
    doc = Doc("draft", "li")
    with pytest.raises(InvalidInput) as unknown:
        FLOW.check(Who("li"), doc, "burn")
    assert unknown.value.message == "未知的操作“burn”"
    with pytest.raises(Forbidden) as forbidden:
        FLOW.check(Who("li"), doc, "approve")
    assert forbidden.value.message == "只有负责人可以审批"
    with pytest.raises(Forbidden) as default:
        FLOW.check(Who("zhao"), doc, "send")
    assert default.value.message == "无权对此文件执行“send”"
    with pytest.raises(Conflict) as conflict:
        FLOW.check(Who("wang", boss=True), doc, "approve")
    assert conflict.value.message == "文件当前状态为“草稿”，不能执行“批准”"
    with pytest.raises(InvalidInput) as reason:
        FLOW.check(Who("wang", boss=True), Doc("sent", "li"), "reject", "  ")
    assert reason.value.message == "请说明理由"
    assert FLOW.check(Who("wang", boss=True), Doc("sent", "li"), "reject", "缺材料").target \
        == "draft"


def test_a_machine_names_every_rule_and_each_action_once() -> None:
    with pytest.raises(ValueError, match="no rule"):
        Workflow(name="x", transitions=(Transition("a", ("s",), "t", "nobody"),), rules={})
    with pytest.raises(ValueError, match="twice"):
        Workflow(name="x", transitions=(Transition("a", ("s",), "t", "r"),
                                        Transition("a", ("t",), "s", "r")),
                 rules={"r": Rule(lambda p, d: True)})
