"""Start-up checks: each bad production setting is refused with a clear reason."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from typer.testing import CliRunner

from coopzone.config import Settings, get_settings
from coopzone.migrate import alembic_config, upgrade
from coopzone.ops.checks import Finding, errors, startup_checks
from tests.helpers import database_url

GOOD_SECRET = "a-production-secret-of-forty-characters!"


def production(url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"env": "production", "secret_key": GOOD_SECRET,
                                 "database_url": url, "data_dir": data_dir,
                                 "cookie_secure": True}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


@pytest.fixture
def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_good_production_settings_pass(url: str, tmp_path: Path) -> None:
    found = by_check(startup_checks(production(url, tmp_path)))
    assert {k: f.level for k, f in found.items()} == {
        "secret": "ok", "database": "ok", "migrations": "ok", "data_dir": "ok",
        "cookie_secure": "ok"}


@pytest.mark.parametrize(("overrides", "check", "reason"), [
    ({"secret_key": "only-twenty-chars-xx"}, "secret", "at least 32"),
    ({"cookie_secure": False}, "cookie_secure", "COOPZONE_COOKIE_SECURE is off"),
])
def test_each_bad_setting_is_refused(url: str, tmp_path: Path, overrides: dict[str, object],
                                     check: str, reason: str) -> None:
    findings = startup_checks(production(url, tmp_path, **overrides))
    assert [(f.check, f.level) for f in errors(findings)] == [(check, "error")]
    assert reason in errors(findings)[0].en


def test_as_of_is_a_warning_not_a_refusal(url: str, tmp_path: Path) -> None:
    findings = startup_checks(production(url, tmp_path, as_of=date(2025, 9, 30)))
    assert errors(findings) == []
    assert by_check(findings)["as_of"].level == "warning"
    assert "2025-09-30" in by_check(findings)["as_of"].en


def test_outside_production_the_production_rules_are_warnings(url: str,
                                                              tmp_path: Path) -> None:
    findings = startup_checks(production(url, tmp_path, env="development",
                                         secret_key="only-twenty-chars-xx",
                                         cookie_secure=False))
    assert errors(findings) == []
    levels = {k: f.level for k, f in by_check(findings).items()}
    assert levels["secret"] == levels["cookie_secure"] == levels["env"] == "warning"


@pytest.mark.parametrize("bad", [
    "sqlite:///{tmp}/missing/coopzone.sqlite3",
    "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
])
def test_an_unreachable_database_is_refused(tmp_path: Path, bad: str) -> None:
    findings = startup_checks(production(bad.format(tmp=tmp_path), tmp_path))
    assert [f.check for f in errors(findings)] == ["database"]
    assert not (tmp_path / "missing").exists()  # the check created nothing


def test_a_database_without_schema_is_refused(tmp_path: Path,
                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    url = database_url(tmp_path_factory, "coopzone_check_empty")
    if url.startswith("sqlite"):
        sqlite3.connect(url.removeprefix("sqlite:///")).close()
    found = errors(startup_checks(production(url, tmp_path)))
    assert [f.check for f in found] == ["migrations"]
    assert "run coopzone db upgrade" in found[0].en


def test_a_database_behind_the_head_revision_is_refused(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    url = database_url(tmp_path_factory, "coopzone_check_old")
    script = ScriptDirectory.from_config(alembic_config(url))
    first = next(r.revision for r in script.walk_revisions() if r.down_revision is None)
    upgrade(url, first)
    found = errors(startup_checks(production(url, tmp_path)))
    assert [f.check for f in found] == ["migrations"]
    assert f"is at {first}" in found[0].en and "run coopzone db upgrade" in found[0].en


def test_a_data_dir_that_is_missing_or_not_a_directory_is_refused(url: str,
                                                                  tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    for data_dir in (tmp_path / "missing", a_file):
        found = errors(startup_checks(production(url, data_dir)))
        assert [f.check for f in found] == ["data_dir"]
    assert not (tmp_path / "missing").exists()


def test_the_check_command(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coopzone.cli.main import app

    for key, value in {"COOPZONE_ENV": "production", "COOPZONE_SECRET_KEY": GOOD_SECRET,
                       "COOPZONE_DATABASE_URL": url, "COOPZONE_DATA_DIR": str(tmp_path),
                       "COOPZONE_COOKIE_SECURE": "true"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("COOPZONE_AS_OF", raising=False)
    runner = CliRunner()
    try:
        get_settings.cache_clear()
        good = runner.invoke(app, ["check"])
        assert good.exit_code == 0, good.output
        assert "error" not in good.output
        monkeypatch.setenv("COOPZONE_COOKIE_SECURE", "false")
        get_settings.cache_clear()
        bad = runner.invoke(app, ["serve", "--check"])
        assert bad.exit_code == 3
        assert "COOPZONE_COOKIE_SECURE is off" in bad.output and "1 check(s) failed" in bad.output
        monkeypatch.delenv("COOPZONE_SECRET_KEY")
        get_settings.cache_clear()
        unset = runner.invoke(app, ["check"])
        assert unset.exit_code == 3
        assert "COOPZONE_SECRET_KEY must be set" in unset.output
    finally:
        get_settings.cache_clear()
