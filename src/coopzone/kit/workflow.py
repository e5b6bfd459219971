"""A small declarative state machine: states, transitions, who may make each, history rows.

A domain declares its machine once::

    TASK_FLOW = Workflow(
        name="task",
        transitions=(Transition("start", ("open",), "in_progress", "owner"), ...),
        rules={"owner": Rule(may_owner, refuse_owner), "office": Rule(...)},
        history=lambda record, moved: TaskEvent(task_id=record.id, **moved.history()),
        state_labels={"open": "待办理", ...}, action_labels={"start": "开始办理", ...})

and every state change goes through :meth:`Workflow.move`, which, in this order and before any
side effect:

1. refuses an unknown action (``InvalidInput``, 422);
2. reads the record afresh under a row lock (``SELECT … FOR UPDATE`` on PostgreSQL, the write
   transaction on SQLite), so the checks below see the stored record, not the caller's copy;
3. asks the transition's rule whether the principal may (``Forbidden``, 403);
4. checks the record's state is one the transition leaves from (``Conflict``, 409);
5. asks for a reason where the transition needs one (``InvalidInput``, 422);

and only then sets the state, bumps ``lock_version`` where the model has one (a version column
SQLAlchemy bumps itself; a plain integer column is bumped here), and adds one history row
(who, when, from, to, action, reason). It flushes and never commits: the edge owns the
transaction. What else a move does (a timestamp, a counter, a notification) the caller does
after ``move`` returned, so a refused move has written nothing.

History: per-domain tables sharing :class:`HistoryColumns`, not one generic
``workflow_event(entity, entity_id, …)`` table. A domain's history row carries a real foreign
key to its record (deleted with it, joined and eagerly loaded like any relationship, read with
the same rights as the record) and may add its own columns (the task history names the
assignee organisation a move was about); a generic table would need a polymorphic
``(entity, entity_id)`` pair no database can check. The cost, one small table per machine, is
paid once per domain. The columns and their names are the same everywhere, so a page or an
export can show any machine's history the same way.

The kit depends on no domain: a principal is anything with a ``label`` (the acting user's
name, written to the history row); rules are plain callables over (principal, record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import String, Text, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from coopzone.db import AwareDateTime, now
from coopzone.errors import Conflict, CoopzoneError, Forbidden, InvalidInput, RowError


class Actor(Protocol):
    @property
    def label(self) -> str: ...


R = TypeVar("R")
P = TypeVar("P", bound=Actor)


class HistoryColumns:
    """The columns every history table has (mix into a model with its own foreign key)."""

    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=now)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Transition:
    """``action`` moves a record from one of ``sources`` to ``target``; ``who`` names the rule
    that decides whether a principal may; ``reason_required``: the move needs a reason (a
    return, a refusal)."""

    action: str
    sources: tuple[str, ...]
    target: str
    who: str
    reason_required: bool = False


@dataclass(frozen=True)
class Rule(Generic[P, R]):
    """Who may: ``allows(principal, record)``; ``refuse(principal, record, action)`` builds the
    refusal shown when not (a ``Forbidden`` naming who may, in the user's words)."""

    allows: Callable[[P, R], bool]
    refuse: Callable[[P, R, str], CoopzoneError] | None = None


@dataclass(frozen=True)
class Moved(Generic[R]):
    """What one move did; :meth:`history` gives the shared history columns."""

    record: R
    transition: Transition
    from_state: str
    to_state: str
    by: str
    at: datetime
    reason: str
    row: object | None = None  # the history row added, if the machine keeps history
    # What the caller gave for the history row beyond the shared columns (a date it took
    # effect, the organisation it was about): the machine's ``history`` decides what to keep.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.transition.action

    def history(self) -> dict[str, Any]:
        return {"action": self.action, "from_state": self.from_state,
                "to_state": self.to_state, "actor": self.by, "at": self.at,
                "note": self.reason}


@dataclass(frozen=True)
class Workflow(Generic[P, R]):
    name: str  # what the record is, in Chinese (督办事项, 协议): used in messages
    transitions: tuple[Transition, ...]
    rules: Mapping[str, Rule[P, R]]
    # Builds the history row of a move (added to the session); None keeps no history.
    history: Callable[[R, Moved[R]], object] | None = None
    state_attr: str = "state"
    state_labels: Mapping[str, str] = field(default_factory=dict)
    action_labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        actions = [t.action for t in self.transitions]
        if len(actions) != len(set(actions)):
            raise ValueError(f"workflow {self.name}: an action is declared twice")
        missing = {t.who for t in self.transitions} - set(self.rules)
        if missing:
            raise ValueError(f"workflow {self.name}: no rule named {sorted(missing)}")

    # ---- reading the machine ----------------------------------------------------------------

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(t.action for t in self.transitions)

    def transition(self, action: str) -> Transition:
        for t in self.transitions:
            if t.action == action:
                return t
        names = "、".join(self.action_labels.get(a, a) for a in self.actions)
        raise InvalidInput(f"未知的操作“{action}”", [RowError(None, "action", f"可选：{names}")],
                           detail=f"unknown action {action}; one of {', '.join(self.actions)}")

    def next_states(self, state: str) -> tuple[str, ...]:
        """The states one move away from ``state`` (in declaration order)."""
        out: list[str] = []
        for t in self.transitions:
            if state in t.sources and t.target not in out:
                out.append(t.target)
        return tuple(out)

    def reachable(self, state: str) -> tuple[str, ...]:
        """Every state ``state`` may still reach, nearest first (``state`` itself only if a
        cycle leads back to it)."""
        found: list[str] = []
        todo = list(self.next_states(state))
        while todo:
            nxt = todo.pop(0)
            if nxt not in found:
                found.append(nxt)
                todo.extend(self.next_states(nxt))
        return tuple(found)

    def state_of(self, record: R) -> str:
        return str(getattr(record, self.state_attr))

    def may(self, principal: P, record: R, action: str) -> bool:
        """Whether the rule of ``action`` lets ``principal`` make it (whatever the state)."""
        return self.rules[self.transition(action).who].allows(principal, record)

    def available(self, principal: P, record: R,
                  actions: Iterable[str] | None = None) -> list[str]:
        """The actions ``principal`` may make on ``record`` in its current state: the buttons
        a page offers."""
        state = self.state_of(record)
        wanted = self.actions if actions is None else tuple(actions)
        return [t.action for t in self.transitions if t.action in wanted
                and state in t.sources and self.rules[t.who].allows(principal, record)]

    # ---- checking and moving ----------------------------------------------------------------

    def check(self, principal: P, record: R, action: str, reason: str = "") -> Transition:
        """The transition of ``action`` if ``principal`` may make it on ``record`` as it is now;
        raises otherwise (unknown 422, not theirs 403, wrong state 409, no reason 422)."""
        t = self.transition(action)
        rule = self.rules[t.who]
        if not rule.allows(principal, record):
            if rule.refuse is not None:
                raise rule.refuse(principal, record, action)
            raise Forbidden(f"无权对此{self.name}执行“{self.action_labels.get(action, action)}”",
                            detail=f"{principal.label} may not {action} this {self.name}")
        state = self.state_of(record)
        if state not in t.sources:
            raise Conflict(
                f"{self.name}当前状态为“{self.state_labels.get(state, state)}”，"
                f"不能执行“{self.action_labels.get(action, action)}”",
                detail=f"cannot {action} a {self.name} in state {state}")
        if t.reason_required and not reason.strip():
            raise InvalidInput("请说明理由", [RowError(None, "note", "必须填写理由")],
                               detail="a reason is required")
        return t

    def move(self, session: Session, principal: P, record: R, action: str,
             reason: str = "", at: datetime | None = None,
             effects: Callable[[R, Moved[R]], None] | None = None,
             extra: Mapping[str, Any] | None = None) -> Moved[R]:
        """Check and make one move (see the module docstring for the order of the checks).

        ``effects(record, moved)`` runs once every check has passed, before the flush, so what
        the move changes besides the state (a date, a counter) goes out in the same UPDATE
        (one version bump). The record is read afresh first: changes made to it before
        ``move`` and not flushed are discarded."""
        self.transition(action)  # an unknown action is refused before anything is read
        _lock_and_refresh(session, record)
        t = self.check(principal, record, action, reason)
        from_state = self.state_of(record)
        moved = Moved(record, t, from_state, t.target, principal.label, at or now(),
                      reason.strip(), extra=dict(extra or {}))
        setattr(record, self.state_attr, t.target)
        if effects is not None:
            effects(record, moved)
        _bump_version(record)
        if self.history is not None:
            row = self.history(record, moved)
            session.add(row)
            moved = replace(moved, row=row)
        session.flush()
        return moved


def _lock_and_refresh(session: Session, record: object) -> None:
    """Read the record's columns afresh under a row lock: the checks see what is stored."""
    mapper = inspect(type(record))
    columns = [a.key for a in mapper.column_attrs]
    session.refresh(record, attribute_names=columns, with_for_update=True)


def _bump_version(record: object) -> None:
    """A version column SQLAlchemy manages (``version_id_col``) is bumped by the UPDATE
    itself; a plain ``lock_version`` column is bumped here."""
    mapper = inspect(type(record))
    if mapper.version_id_col is not None:
        return
    if "lock_version" in mapper.column_attrs:
        version: int | None = getattr(record, "lock_version", None)
        setattr(record, "lock_version", (version or 0) + 1)  # noqa: B010
