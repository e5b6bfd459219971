"""Backup and restore round trips on a real database (SQLite, or PostgreSQL when
COOPZONE_TEST_DATABASE_URL is set) with an uploaded file; every refusal changes nothing."""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import coopzone.models  # noqa: F401  (every table in Base.metadata)
from coopzone.accounts import service as accounts
from coopzone.accounts.audit import set_actor
from coopzone.accounts.models import Organisation, User
from coopzone.config import Settings, get_settings
from coopzone.cooperation import service as cooperation
from coopzone.cooperation.models import Document
from coopzone.cooperation.schemas import AgreementCreate, PartyIn
from coopzone.db import Base, make_engine
from coopzone.migrate import alembic_config, upgrade
from coopzone.ops.backup import BackupError, create_backup, read_manifest, restore_backup
from coopzone.places.service import load_places
from tests.helpers import PASSWORD, database_url, make_settings

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + "湘赣边合作协议".encode()
_names = itertools.count()


@dataclass
class Site:
    """One installation: its settings, database and data dir."""

    settings: Settings
    data_dir: Path

    @property
    def url(self) -> str:
        return self.settings.effective_database_url

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.url)

    def session(self) -> Session:
        return Session(self.engine)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in Base.metadata.sorted_tables}

    def display_name(self, username: str) -> str | None:
        with self.session() as s:
            return s.scalar(select(User.display_name).where(User.username == username))

    def files(self) -> dict[str, bytes]:
        root = self.data_dir / "files"
        return {p.name: p.read_bytes() for p in sorted(root.iterdir())} if root.is_dir() else {}


def new_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """An empty installation. On SQLite the database lives in the data dir (the default)."""
    name = f"coopzone_ops_{next(_names)}"
    data_dir = tmp_path_factory.mktemp(name)
    pg = database_url(tmp_path_factory, name) if _on_postgres() else ""
    return Site(make_settings(pg, data_dir=data_dir), data_dir)


def _on_postgres() -> bool:
    import os

    return bool(os.environ.get("COOPZONE_TEST_DATABASE_URL"))


def populate(site: Site) -> None:
    """Demo-like rows: places, organisations, users with roles, an agreement whose signed
    document is an uploaded file."""
    upgrade(site.url)
    with site.session() as s:
        set_actor(s, None, "test")
        load_places(s)
        office = accounts.create_organisation(s, "萍乡市湘赣边区域合作发展事务中心",
                                              "cooperation_office", "360300")
        liling = accounts.create_organisation(s, "醴陵市生态环境分局", "ecology_bureau",
                                              "430281")
        admin = accounts.create_user(s, "admin", PASSWORD, "管理员", is_platform_admin=True)
        editor = accounts.create_user(s, "coop", PASSWORD, "合作办编辑")
        accounts.grant_role(s, editor, office, "editor")
        accounts.grant_role(s, accounts.create_user(s, "liling", PASSWORD, "醴陵"), liling,
                            "viewer")
        s.flush()
        cooperation.create_agreement_with_document(
            s, accounts.principal_for(s, admin.id),
            AgreementCreate(title="萍乡—醴陵渌水流域横向生态保护补偿协议",
                            parties=[PartyIn(name="萍乡市人民政府", place_code="360300"),
                                     PartyIn(name="醴陵市人民政府", place_code="430281")],
                            field="ecology", signed_on=date(2019, 6, 28), term_years=3),
            site.data_dir / "files", cooperation.Upload("协议.pdf", PDF))
        s.commit()


def change_everything(site: Site) -> None:
    """What a restore must undo: a changed value, a new row, a lost file, a stray file."""
    with site.session() as s:
        set_actor(s, None, "test")
        user = s.scalars(select(User).where(User.username == "coop")).one()
        user.display_name = "改过的名字"
        accounts.create_organisation(s, "新机构", "ecology_bureau", "360313")
        s.commit()
    for path in (site.data_dir / "files").iterdir():
        path.unlink()
    (site.data_dir / "files" / "stray").write_bytes(b"not in the backup")


@dataclass
class State:
    counts: dict[str, int]
    display_name: str | None
    files: dict[str, bytes]


def state(site: Site) -> State:
    return State(site.counts(), site.display_name("coop"), site.files())


@pytest.fixture
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site = new_site(tmp_path_factory)
    populate(site)
    yield site
    site.engine.dispose()


@pytest.fixture
def archive(site: Site, tmp_path: Path) -> Path:
    path = tmp_path / "coopzone.tar.gz"
    create_backup(site.settings, path)
    return path


@pytest.fixture
def changed(site: Site, archive: Path) -> Iterator[State]:
    """The site changed after its backup, and that state (which a refusal must keep)."""
    change_everything(site)
    yield state(site)


def test_round_trip_restores_rows_values_and_files(site: Site, tmp_path: Path) -> None:
    before = state(site)
    assert before.counts["cooperation_document"] == 1 and before.counts["accounts_user"] == 3
    assert list(before.files.values()) == [PDF]
    archive = tmp_path / "backup.tar.gz"
    manifest = create_backup(site.settings, archive)
    assert manifest["backend"] == ("postgresql" if _on_postgres() else "sqlite")
    heads = ScriptDirectory.from_config(alembic_config(site.settings.effective_database_url))
    assert manifest["alembic_revisions"] == list(heads.get_heads())
    assert manifest["created_at"].endswith("+08:00")
    with site.session() as s:
        digest = s.scalars(select(Document.sha256)).one()
    assert manifest["members"][f"data/files/{digest}"]["size"] == len(PDF)

    change_everything(site)
    assert state(site) != before
    restored = restore_backup(site.settings, archive, force=True)

    assert restored == manifest
    after = state(site)
    assert after.counts == before.counts
    assert after.display_name == "合作办编辑"
    assert after.files == {digest: PDF}
    assert not any(p.name.startswith(".coopzone-") for p in site.data_dir.iterdir())


def test_restore_into_an_empty_installation(site: Site, archive: Path,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    fresh = new_site(tmp_path_factory)
    restore_backup(fresh.settings, archive)  # empty: no --force needed
    assert state(fresh) == state(site)


def test_the_archive_holds_only_committed_rows_while_a_write_is_open(
        site: Site, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A backup of a running server: an open, uncommitted write is not in it."""
    engine = make_engine(site.url)
    with engine.connect() as conn:
        conn.begin()
        conn.execute(text("UPDATE accounts_user SET display_name = 'uncommitted' "
                          "WHERE username = 'coop'"))
        create_backup(site.settings, tmp_path / "live.tar.gz")
        conn.rollback()
    engine.dispose()
    fresh = new_site(tmp_path_factory)
    restore_backup(fresh.settings, tmp_path / "live.tar.gz")
    assert fresh.display_name("coop") == "合作办编辑"


def test_restore_refuses_a_target_that_is_not_empty(site: Site, archive: Path,
                                                   changed: State) -> None:
    with pytest.raises(BackupError, match="--force"):
        restore_backup(site.settings, archive)
    assert state(site) == changed


def _rewrite(archive: Path, dest: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                   for m in tar if m.isfile()}
    change(members)
    with tarfile.open(dest, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return dest


def _manifest(members: dict[str, bytes]) -> dict[str, object]:
    return json.loads(members["manifest.json"])  # type: ignore[no-any-return]


def _truncated(archive: Path, dest: Path) -> Path:
    data = archive.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    return dest


def _flipped(archive: Path, dest: Path) -> Path:
    data = bytearray(archive.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0xFF
    dest.write_bytes(bytes(data))
    return dest


def _not_tar(_archive: Path, dest: Path) -> Path:
    dest.write_bytes(b"PK\x03\x04 this is a zip, not a backup")
    return dest


def _no_manifest(archive: Path, dest: Path) -> Path:
    return _rewrite(archive, dest, lambda m: m.pop("manifest.json"))


def _unsafe_name(archive: Path, dest: Path) -> Path:
    return _rewrite(archive, dest, lambda m: m.update({"data/../../escape": b"x"}))


@pytest.mark.parametrize("damage", [_truncated, _flipped, _not_tar, _no_manifest,
                                    _unsafe_name])
def test_restore_refuses_a_damaged_archive(site: Site, archive: Path, changed: State,
                                           tmp_path: Path,
                                           damage: Callable[[Path, Path], Path]) -> None:
    bad = damage(archive, tmp_path / "bad.tar.gz")
    with pytest.raises(BackupError, match="已损坏") as refused:
        restore_backup(site.settings, bad, force=True)
    assert refused.value.detail and "damaged" in refused.value.detail
    assert state(site) == changed
    assert not (tmp_path.parent / "escape").exists()


def test_restore_refuses_a_checksum_mismatch(site: Site, archive: Path, changed: State,
                                             tmp_path: Path) -> None:
    def tamper(members: dict[str, bytes]) -> None:
        name = next(n for n in members if n.startswith("data/files/"))
        members[name] = members[name].replace(b"%PDF", b"%XXX")

    bad = _rewrite(archive, tmp_path / "tampered.tar.gz", tamper)
    with pytest.raises(BackupError, match="校验") as refused:
        restore_backup(site.settings, bad, force=True)
    assert refused.value.detail and "sha256 mismatch: data/files/" in refused.value.detail
    assert state(site) == changed


def test_restore_refuses_an_archive_from_a_newer_schema(site: Site, archive: Path,
                                                        changed: State,
                                                        tmp_path: Path) -> None:
    def newer(members: dict[str, bytes]) -> None:
        manifest = _manifest(members)
        manifest["alembic_revisions"] = ["ffffffffffff"]
        members["manifest.json"] = json.dumps(manifest).encode()

    bad = _rewrite(archive, tmp_path / "newer.tar.gz", newer)
    with pytest.raises(BackupError, match="更新版本") as refused:
        restore_backup(site.settings, bad, force=True)
    assert refused.value.detail and "ffffffffffff is unknown" in refused.value.detail
    assert state(site) == changed


def test_restore_refuses_an_archive_of_the_other_backend(site: Site, archive: Path,
                                                         changed: State,
                                                         tmp_path: Path) -> None:
    def other(members: dict[str, bytes]) -> None:
        manifest = _manifest(members)
        manifest["backend"] = "sqlite" if manifest["backend"] == "postgresql" else "postgresql"
        members["manifest.json"] = json.dumps(manifest).encode()

    with pytest.raises(BackupError, match="不能恢复到"):
        restore_backup(site.settings, _rewrite(archive, tmp_path / "o.tar.gz", other),
                       force=True)
    assert state(site) == changed


def test_a_failed_database_restore_puts_the_old_files_back(site: Site, archive: Path,
                                                          changed: State) -> None:
    """The database is held by another writer: the restore gives up after its lock timeout,
    having moved the files in; they go back and the database is untouched."""
    if _on_postgres():
        engine = make_engine(site.url)
        holder = engine.connect()
        holder.begin()
        holder.execute(text("LOCK TABLE accounts_user IN ACCESS EXCLUSIVE MODE"))
        release: Callable[[], None] = lambda: (holder.rollback(), holder.close(),  # noqa: E731
                                               engine.dispose())
    else:
        raw = sqlite3.connect(site.settings.effective_database_url.removeprefix("sqlite:///"),
                              isolation_level=None)
        raw.execute("BEGIN EXCLUSIVE")
        release = lambda: (raw.rollback(), raw.close())  # noqa: E731
    try:
        with pytest.raises(BackupError) as failed:
            restore_backup(site.settings, archive, force=True, lock_timeout=0.2)
    finally:
        release()
    if _on_postgres():
        assert failed.value.message == "恢复数据库失败"
        assert "lock timeout" in (failed.value.detail or "")
    else:
        assert failed.value.message.startswith("数据库正忙")
    assert state(site) == changed
    assert (site.data_dir / "files" / "stray").read_bytes() == b"not in the backup"


def test_create_refuses_to_overwrite_or_to_write_into_the_data_dir(site: Site,
                                                                   archive: Path) -> None:
    first = archive.read_bytes()
    with pytest.raises(BackupError, match="已存在"):
        create_backup(site.settings, archive)
    assert archive.read_bytes() == first
    with pytest.raises(BackupError, match="数据目录"):
        create_backup(site.settings, site.data_dir / "backup.tar.gz")
    assert not (site.data_dir / "backup.tar.gz").exists()
    assert read_manifest(archive)["backend"] in ("sqlite", "postgresql")


@pytest.mark.parametrize("suffix", ["tar", "tar.xz", "tar.bz2"])
def test_every_compression_round_trips(site: Site, tmp_path: Path, suffix: str,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path / f"b.{suffix}"
    create_backup(site.settings, path)
    fresh = new_site(tmp_path_factory)
    restore_backup(fresh.settings, path)
    assert state(fresh) == state(site)


def test_the_commands(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coopzone.cli.main import app

    monkeypatch.setenv("COOPZONE_ENV", "test")
    monkeypatch.setenv("COOPZONE_SECRET_KEY", site.settings.secret_key)
    monkeypatch.setenv("COOPZONE_DATA_DIR", str(site.data_dir))
    monkeypatch.setenv("COOPZONE_DATABASE_URL", site.settings.database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        path = tmp_path / "cli.tar.gz"
        made = runner.invoke(app, ["backup", "create", str(path)])
        assert made.exit_code == 0, made.output
        assert "1 files" in made.output
        assert runner.invoke(app, ["backup", "verify", str(path)]).exit_code == 0
        change_everything(site)
        refused = runner.invoke(app, ["backup", "restore", str(path)])
        assert refused.exit_code == 2 and "--force" in refused.output
        assert site.display_name("coop") == "改过的名字"
        done = runner.invoke(app, ["backup", "restore", str(path), "--force"])
        assert done.exit_code == 0, done.output
        assert site.display_name("coop") == "合作办编辑"
        path.write_bytes(path.read_bytes()[:100])
        broken = runner.invoke(app, ["backup", "restore", str(path), "--force"])
        assert broken.exit_code == 2 and "已损坏" in broken.output
    finally:
        get_settings.cache_clear()


def test_rows_of_each_table_survive(site: Site, archive: Path,
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    """The restored organisations are the same rows (ids and names), not look-alikes."""
    fresh = new_site(tmp_path_factory)
    restore_backup(fresh.settings, archive)
    rows: list[list[tuple[int, str]]] = []
    for one in (site, fresh):
        with one.session() as s:
            rows.append([(o.id, o.name) for o in s.scalars(
                select(Organisation).order_by(Organisation.id))])
    assert rows[0] == rows[1] and len(rows[0]) == 2
