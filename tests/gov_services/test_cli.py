"""``coopzone services …``: items seed/import, ledger import with --preview, case lists (masked,
JSON); refusals exit 2 with row, column and reason and write nothing; ``services deadline``
still answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from coopzone.cli.context import fail
from coopzone.cli.main import app
from coopzone.db import transaction
from coopzone.errors import CoopzoneError
from coopzone.gov_services import cli as services_cli
from coopzone.gov_services.models import Case, ImportedFile, Item
from tests.gov_services.conftest import World, resident_id
from tests.gov_services.test_import_ledger import csv_bytes, row


@pytest.fixture
def cli_db(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session],
           session: Session, world: World) -> World:
    """Commands run on the test's database (one transaction each, as command_session does)."""
    session.commit()

    @contextmanager
    def command_session(actor: str | None = None, write: bool = True) -> Iterator[Session]:
        try:
            with transaction(session_factory, write=write) as s:
                yield s
        except CoopzoneError as exc:
            fail(exc)

    monkeypatch.setattr(services_cli, "command_session", command_session)
    monkeypatch.setenv("COLUMNS", "200")
    return world


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["services", *args])


def cases(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def test_ledger_import_preview_then_apply_then_again(cli_db: World, session: Session,
                                                     tmp_path: Path) -> None:
    w = cli_db
    path = tmp_path / "台账.csv"
    path.write_bytes(csv_bytes(row(), row("XD2025-0002", id_number=resident_id(seq="456"),
                                          accepted="", decided="", result="")))
    args = ["ledger", "import", str(path), "--window", w.jx_window.name, "--user", "jxwin"]
    preview = run(*args, "--preview")
    assert preview.exit_code == 0, preview.output
    assert "new 2" in preview.output and "preview" in preview.output
    assert cases(session) == 0
    applied = run(*args)
    assert applied.exit_code == 0 and "new 2" in applied.output
    assert cases(session) == 2
    again = run(*args[:4], str(w.jx_window.id), "--user", "jxwin")
    assert again.exit_code == 0 and "再次导入不会增加" in again.output
    assert cases(session) == 2
    listed = run("cases", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert data["total"] == 2
    assert {c["applicant"] for c in data["cases"]} == {"张*三"}
    assert resident_id() not in listed.output
    overdue = json.loads(run("cases", "list", "--view", "overdue", "--format", "json").output)
    assert overdue["total"] == 0  # the decided one was on time; the other not accepted
    table = run("cases", "list", "--view", "mine", "--user", "hndept")
    assert table.exit_code == 0 and "XD2025-0001" in table.output


def test_refusals_exit_2_with_reasons_and_write_nothing(cli_db: World, session: Session,
                                                        tmp_path: Path) -> None:
    w = cli_db
    path = tmp_path / "台账.csv"
    path.write_bytes(csv_bytes(row(), row("XD2025-0002", collected="2099-01-01", accepted="",
                                          decided="", result="")))
    bad = run("ledger", "import", str(path), "--window", w.jx_window.name, "--user", "jxwin")
    assert bad.exit_code == 2
    assert "row 3, column 收件日期" in bad.output
    path.write_bytes(csv_bytes(row()))
    other = run("ledger", "import", str(path), "--window", w.jx_window.name, "--user", "hnwin")
    assert other.exit_code == 2 and "工作人员" in other.output
    unknown = run("ledger", "import", str(path), "--window", "没有的窗口", "--user", "jxwin")
    assert unknown.exit_code == 2
    assert run("cases", "list", "--view", "mine").exit_code == 2
    assert run("cases", "list", "--format", "xml").exit_code == 2
    assert cases(session) == 0
    assert int(session.scalar(select(func.count()).select_from(ImportedFile)) or 0) == 0


def test_items_seed_and_import(cli_db: World, session: Session, tmp_path: Path) -> None:
    seeded = run("items", "seed")
    assert seeded.exit_code == 0 and "items added" in seeded.output
    session.expire_all()
    shipped = int(session.scalar(select(func.count()).select_from(Item)) or 0)
    assert shipped > 30
    assert "items added 0" in run("items", "seed").output
    path = tmp_path / "事项.csv"
    path.write_text("事项编码,事项名称,办理方式,法定时限\nPX-001,本地测试事项,全程网办,5\n",
                    encoding="utf-8")
    preview = run("items", "import", str(path), "--preview")
    assert preview.exit_code == 0 and "new 1" in preview.output
    assert run("items", "import", str(path)).exit_code == 0
    session.expire_all()
    assert int(session.scalar(select(func.count()).select_from(Item)) or 0) == shipped + 1
    clerk = run("items", "import", str(path), "--user", "jxwin")
    assert clerk.exit_code == 2
    template = tmp_path / "模板.xlsx"
    assert run("ledger", "template", str(template)).exit_code == 0
    assert template.read_bytes()[:2] == b"PK"


def test_services_deadline_still_answers() -> None:
    result = CliRunner().invoke(app, ["services", "deadline", "2025-09-24", "10",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["deadline"] == "2025-10-14"
