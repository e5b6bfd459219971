"""Every table and field the audit hook writes has a Chinese and an English label, in the one
mapping of coopzone.accounts.audit_labels (a new model fails here until it is labelled)."""

from __future__ import annotations

import re

import coopzone.models  # noqa: F401  every model, as the app and migrations know them
from coopzone.accounts.audit_labels import (
    ACTIONS,
    FIELDS,
    TABLES,
    action_label,
    actor_label,
    field_label,
    table_label,
)
from coopzone.accounts.models import AuditLog
from coopzone.db import Base

CJK = re.compile(r"[\u4e00-\u9fff]")


def _audited() -> tuple[set[str], set[str]]:
    tables: set[str] = set()
    fields: set[str] = set()
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if getattr(model, "__audit_skip__", False) or model is AuditLog:
            continue
        tables.add(model.__tablename__)
        skip = set(getattr(model, "__audit_exclude__", ()))
        fields |= {a.key for a in mapper.column_attrs if a.key not in skip}
    return tables, fields


def test_every_audited_table_and_field_is_labelled_and_no_label_is_stale() -> None:
    tables, fields = _audited()
    assert len(tables) >= 50
    assert sorted(tables - set(TABLES)) == [] and sorted(set(TABLES) - tables) == []
    assert sorted(fields - set(FIELDS)) == [] and sorted(set(FIELDS) - fields) == []
    assert set(ACTIONS) == {"insert", "update", "delete"}


def test_labels_are_chinese_and_english() -> None:
    for zh, en in (*TABLES.values(), *FIELDS.values(), *ACTIONS.values()):
        assert CJK.search(zh) and not CJK.search(en) and en.strip(), (zh, en)
    assert table_label("kit_staged_import") == "待确认的导入文件"
    assert table_label("kit_staged_import", "en") == "staged import file"
    assert field_label("password_hash") == "密码" and action_label("delete") == "删除"
    assert action_label("delete", "en") == "deleted"
    assert actor_label("system") == "系统" and actor_label("cli:admin") == "命令行：admin"
    assert actor_label("system", "en") == "system" and actor_label("xiangdong") == "xiangdong"
    # A name nobody labelled yet is shown as it is, not dropped.
    assert table_label("new_table") == "new_table" and field_label("x_y") == "x_y"
