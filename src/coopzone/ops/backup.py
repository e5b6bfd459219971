"""Backup and restore: one tar archive (optionally compressed) holding a manifest, the database
and the files the platform keeps under its data dir.

Layout of an archive::

    database/coopzone.sqlite3   SQLite: a consistent copy made with the online backup API
    database/coopzone.pgdump    PostgreSQL: ``pg_dump --format=custom``
    data/<path>                 every file under the data dir (uploads: ``data/files/<sha256>``)
    manifest.json               format version, coopzone version, created at (Asia/Shanghai),
                                the alembic revision(s), the backend, sha256 and size of each
                                member (written last: it describes what was written)

The database is copied before the files: uploads are content-addressed and written before the
row that names them commits, so every file the database snapshot refers to is already on disk
when the files are read. Files written after the snapshot are carried along unreferenced.

A restore checks the whole archive (readable, nothing missing or extra, every checksum, a
schema revision this code knows, the same backend) and unpacks it into a staging directory
inside the data dir before it touches anything. It then moves the old files aside, moves the
new ones in, and restores the database in one step that either completes or leaves the old
database as it was (SQLite: the backup API into the live file; PostgreSQL: the script of
``pg_restore --clean --if-exists --no-owner`` run by ``psql --single-transaction``). If the
database step fails, the old files are moved back.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from glob import glob
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from sqlalchemy import inspect, make_url, text

import coopzone
from coopzone.config import Settings
from coopzone.db import make_engine, now
from coopzone.errors import CoopzoneError

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SQLITE_MEMBER = "database/coopzone.sqlite3"
PG_MEMBER = "database/coopzone.pgdump"
DATA_PREFIX = "data/"
# Staging directories of a backup or restore in progress; never backed up, never replaced.
STAGING_PREFIX = ".coopzone-"
# Not platform data: half-written files (``*.part``, removed by their writer or at start-up)
# and the scratch directory of uploads being received.
SKIPPED_SUFFIXES = (".part",)
SKIPPED_TOP_DIRS = ("tmp",)
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
LOCK_TIMEOUT_SECONDS = 30.0

Backend = Literal["sqlite", "postgresql"]
Compression = Literal["gz", "xz", "bz2", ""]


class BackupError(CoopzoneError):
    """A backup or restore was refused or failed; nothing was changed."""

    code = "backup_refused"


@dataclass(frozen=True)
class Target:
    """Where the platform keeps its state: one database and one data dir."""

    backend: Backend
    url: str
    data_dir: Path
    sqlite_path: Path | None

    @property
    def database_member(self) -> str:
        return SQLITE_MEMBER if self.backend == "sqlite" else PG_MEMBER


def target_of(settings: Settings) -> Target:
    url = settings.effective_database_url
    parsed = make_url(url)
    data_dir = settings.data_dir.resolve()
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise BackupError("内存数据库无法备份或恢复", detail="in-memory SQLite database")
        return Target("sqlite", url, data_dir, Path(parsed.database).resolve())
    if parsed.get_backend_name() == "postgresql":
        return Target("postgresql", url, data_dir, None)
    raise BackupError(f"不支持的数据库类型 {parsed.get_backend_name()}",
                      detail=f"unsupported backend {parsed.get_backend_name()}")


# ---- the files under the data dir ---------------------------------------------------------


def _sqlite_files(target: Target) -> set[Path]:
    if target.sqlite_path is None:
        return set()
    base = str(target.sqlite_path)
    return {target.sqlite_path, *(Path(base + side) for side in SQLITE_SIDE_FILES)}


def data_files(target: Target, exclude: set[Path] | None = None) -> list[tuple[str, Path]]:
    """Every file of the platform under the data dir, as (posix path relative to it, path).

    Left out: the SQLite database and its -wal/-shm/-journal (the database is copied through
    SQLite), half-written ``*.part`` files, ``tmp/``, staging directories, symbolic links and
    the paths in ``exclude`` (the archive itself)."""
    root = target.data_dir
    if not root.is_dir():
        return []
    skipped = _sqlite_files(target) | {p.resolve() for p in exclude or set()}
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs
                       if not d.startswith(STAGING_PREFIX) and d not in SKIPPED_TOP_DIRS]
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink())
        for name in sorted(files):
            path = here / name
            if (name.startswith(STAGING_PREFIX) or name.endswith(SKIPPED_SUFFIXES)
                    or path.is_symlink() or not path.is_file() or path in skipped):
                continue
            found.append((path.relative_to(root).as_posix(), path))
    return found


# ---- archive writing ----------------------------------------------------------------------


def compression_for(path: Path) -> Compression:
    """Compression from the file name: .tar none, .tar.xz xz, .tar.bz2 bz2, else gzip."""
    name = path.name.lower()
    if name.endswith(".tar"):
        return ""
    if name.endswith((".tar.xz", ".txz")):
        return "xz"
    if name.endswith((".tar.bz2", ".tbz2")):
        return "bz2"
    return "gz"


class _HashingReader:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.sha256.update(chunk)
        return chunk


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    with path.open("rb") as raw:
        reader = _HashingReader(raw)
        tar.addfile(info, reader)
    return {"sha256": reader.sha256.hexdigest(), "size": info.size}


def create_backup(settings: Settings, archive: Path, *, overwrite: bool = False,
                  compression: Compression | None = None,
                  lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Write one archive of the database and the data dir to ``archive``; return its manifest.

    Safe while the server runs. The archive appears only when complete (written beside it
    under a temporary name, then renamed)."""
    target = target_of(settings)
    archive = archive.resolve()
    if archive.is_relative_to(target.data_dir):
        raise BackupError("备份文件不能放在数据目录里", detail=(
            f"{archive} is inside the data dir {target.data_dir}: choose a path outside it"))
    if archive.exists() and not overwrite:
        raise BackupError(f"文件 {archive} 已存在", detail="exists; pass --force to replace it")
    if not archive.parent.is_dir():
        raise BackupError(f"目录 {archive.parent} 不存在", detail="no such directory")
    mode = compression_for(archive) if compression is None else compression
    created = now()
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX + "backup-",
                                     dir=archive.parent) as tmp:
        staged = Path(tmp) / "database"
        if target.backend == "sqlite":
            assert target.sqlite_path is not None
            _sqlite_copy(target.sqlite_path, staged, lock_timeout, "备份")
            revisions = _sqlite_revisions(staged)
        else:
            revisions = _pg_revisions(target.url)
            _pg_dump(target.url, staged)
            if _pg_revisions(target.url) != revisions:
                raise BackupError("备份期间数据库结构发生了变化，请重试",
                                  detail="the schema was migrated during the backup; retry")
        if not revisions:
            raise BackupError("数据库尚未初始化", detail="no alembic revision: run coopzone db "
                              "upgrade first")
        part = Path(tmp) / "archive.part"
        members: dict[str, dict[str, Any]] = {}
        with tarfile.open(part, f"w:{mode}") as tar:  # type: ignore[call-overload]
            members[target.database_member] = _add_file(tar, target.database_member, staged)
            for rel, path in data_files(target, exclude={archive, part}):
                members[DATA_PREFIX + rel] = _add_file(tar, DATA_PREFIX + rel, path)
            manifest = {
                "format_version": FORMAT_VERSION,
                "coopzone_version": coopzone.__version__,
                "created_at": created.isoformat(),
                "backend": target.backend,
                "alembic_revisions": revisions,
                "members": members,
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mode, info.mtime = len(body), 0o644, int(created.timestamp())
            tar.addfile(info, _BytesReader(body))
        with part.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(part, archive)
    return manifest


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.pos + size
        chunk, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return chunk


# ---- archive reading ----------------------------------------------------------------------


def _damaged(archive: Path, exc: BaseException | str) -> BackupError:
    return BackupError(f"备份文件 {archive.name} 已损坏或不是 coopzone 备份",
                       detail=f"damaged or not a coopzone archive: {exc}")


def _member_path(archive: Path, name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (not name or "\x00" in name or "\\" in name or path.is_absolute()
            or any(part in ("", ".", "..") for part in name.split("/"))):
        raise _damaged(archive, f"unsafe member name {name!r}")
    if name not in (MANIFEST_NAME, SQLITE_MEMBER, PG_MEMBER) and not (
            name.startswith(DATA_PREFIX) and len(path.parts) > 1):
        raise _damaged(archive, f"unexpected member {name!r}")
    return path


def _unpack(archive: Path, dest: Path) -> dict[str, Any]:
    """Unpack every member into ``dest`` and check it against the manifest."""
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 {archive}", detail="no such file")
    digests: dict[str, dict[str, Any]] = {}
    manifest_body: bytes | None = None
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                path = _member_path(archive, member.name)
                if member.isdir():
                    continue
                if not member.isfile():
                    raise _damaged(archive, f"{member.name} is not a regular file")
                if member.name in digests or (member.name == MANIFEST_NAME
                                              and manifest_body is not None):
                    raise _damaged(archive, f"{member.name} appears twice")
                raw = tar.extractfile(member)
                assert raw is not None
                if member.name == MANIFEST_NAME:
                    manifest_body = raw.read(MAX_MANIFEST_BYTES + 1)
                    continue
                out = dest.joinpath(*path.parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                sha, size = hashlib.sha256(), 0
                with out.open("wb") as sink:
                    while chunk := raw.read(1 << 20):
                        sha.update(chunk)
                        size += len(chunk)
                        sink.write(chunk)
                digests[member.name] = {"sha256": sha.hexdigest(), "size": size}
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error,
            lzma.LZMAError) as exc:  # bz2 reports damage as OSError
        raise _damaged(archive, exc) from exc
    if manifest_body is None or len(manifest_body) > MAX_MANIFEST_BYTES:
        raise _damaged(archive, "no manifest.json")
    try:
        manifest = json.loads(manifest_body.decode("utf-8"))
    except ValueError as exc:
        raise _damaged(archive, f"manifest.json: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("members"), dict):
        raise _damaged(archive, "manifest.json has no member list")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError("备份文件的格式版本不受支持，请用更新的 coopzone 恢复",
                          detail=f"archive format {manifest.get('format_version')!r}, this "
                          f"coopzone reads format {FORMAT_VERSION}")
    listed: dict[str, Any] = manifest["members"]
    missing = sorted(set(listed) - set(digests))
    extra = sorted(set(digests) - set(listed))
    if missing or extra:
        raise _damaged(archive, f"members missing {missing[:5]}, not listed {extra[:5]}")
    wrong = sorted(name for name, got in digests.items()
                   if not isinstance(listed[name], dict)
                   or listed[name].get("sha256") != got["sha256"]
                   or listed[name].get("size") != got["size"])
    if wrong:
        raise BackupError(f"备份文件校验失败：{len(wrong)} 个文件与清单的校验和不符",
                          detail=f"sha256 mismatch: {', '.join(wrong[:5])}")
    return manifest


def read_manifest(archive: Path) -> dict[str, Any]:
    """Check an archive completely (it is unpacked into a temporary directory and removed)."""
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX + "verify-") as tmp:
        return _unpack(archive, Path(tmp))


def _check_revisions(target: Target, revisions: object) -> list[str]:
    from alembic.script import ScriptDirectory

    from coopzone.migrate import alembic_config

    if (not isinstance(revisions, list) or not revisions
            or not all(isinstance(r, str) for r in revisions)):
        raise BackupError("备份清单缺少数据库版本", detail="manifest has no alembic_revisions")
    script = ScriptDirectory.from_config(alembic_config(target.url))
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [r for r in revisions if r not in known]
    if unknown:
        heads = ", ".join(script.get_heads())
        raise BackupError("备份来自更新版本的数据库结构，请先升级 coopzone 再恢复",
                          detail=f"archive schema revision {', '.join(unknown)} is unknown to "
                          f"this coopzone (its head: {heads}); upgrade coopzone first")
    return list(revisions)


# ---- SQLite ------------------------------------------------------------------------------


def _give_up_when_busy(what: str, timeout: float) -> Callable[[int, int, int], None]:
    """A backup progress callback: the connection's busy timeout has already waited
    ``timeout`` seconds when a step answers BUSY or LOCKED; stop instead of waiting forever."""

    def progress(status: int, _remaining: int, _total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise BackupError(f"数据库正忙，{what}未完成，请稍后重试或先停止服务", detail=(
                f"the database stayed locked for {timeout:g} s; nothing was changed"))

    return progress


def _sqlite_copy(source: Path, dest: Path, timeout: float, what: str) -> None:
    """Copy a database through SQLite's online backup API (a consistent snapshot)."""
    if not source.is_file():
        raise BackupError(f"数据库文件 {source} 不存在", detail="no database file")
    src = sqlite3.connect(str(source), timeout=timeout)
    dst = sqlite3.connect(str(dest), timeout=timeout)
    try:
        src.backup(dst, progress=_give_up_when_busy(what, timeout))
    except sqlite3.Error as exc:
        raise BackupError(f"数据库{what}失败", detail=f"{type(exc).__name__}: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _sqlite_revisions(path: Path) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables:
            return []
        return sorted(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))
    finally:
        con.close()


def _check_sqlite_copy(archive: Path, path: Path, revisions: list[str]) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
        found = _sqlite_revisions(path)
    except sqlite3.Error as exc:
        raise _damaged(archive, f"database: {exc}") from exc
    if verdict != "ok":
        raise _damaged(archive, f"database integrity check: {verdict}")
    if found != sorted(revisions):
        raise _damaged(archive, f"database at {found}, manifest says {revisions}")


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists():
        return True
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM sqlite_master WHERE type='table'"
                           ).fetchone()[0] == 0
    except sqlite3.Error:
        return False
    finally:
        con.close()


# ---- PostgreSQL ---------------------------------------------------------------------------


def pg_binary(name: str) -> str:
    """A PostgreSQL client program: the newest /usr/lib/postgresql/*/bin, else PATH."""

    def version(folder: str) -> tuple[int, ...]:
        number = Path(folder).parent.name
        return tuple(int(p) for p in number.split(".") if p.isdigit())

    for folder in sorted(glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        candidate = Path(folder) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 PostgreSQL 工具 {name}",
                          detail=f"{name} is neither in /usr/lib/postgresql/*/bin nor on PATH "
                          "(install postgresql-client)")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment carrying it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    return uri, env


def _run(argv: list[str], env: dict[str, str], what_zh: str) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what_zh}失败", detail=f"{Path(argv[0]).name} exited with "
                          f"{done.returncode}: {' | '.join(message[-5:])}")


def _pg_dump(url: str, dest: Path) -> None:
    uri, env = _libpq(url)
    _run([pg_binary("pg_dump"), "--format=custom", "--file", str(dest), "--dbname", uri],
         env, "pg_dump 导出数据库")


def _pg_revisions(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return []
            return sorted(conn.execute(text("SELECT version_num FROM alembic_version")
                                       ).scalars())
    except BackupError:
        raise
    except Exception as exc:  # any driver failure: unreachable, refused, unknown database
        raise BackupError("无法连接数据库", detail=f"{type(exc).__name__}: {exc}") from exc
    finally:
        engine.dispose()


def _pg_is_empty(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            )).scalar_one() == 0
    except Exception as exc:  # any driver failure
        raise BackupError("无法连接数据库", detail=f"{type(exc).__name__}: {exc}") from exc
    finally:
        engine.dispose()


# Run first, in the restore's transaction: empty the public schema, so that nothing of the old
# database (tables of a newer migration included) survives next to the restored one.
_PG_CLEAR = """
SET lock_timeout = '{lock_ms}ms';
DO $coopzone$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relkind, quote_ident(c.relname) AS name FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'c')
           ORDER BY c.relkind LOOP
    EXECUTE format('DROP %s IF EXISTS public.%s CASCADE', CASE r.relkind
      WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
      WHEN 'S' THEN 'SEQUENCE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN SELECT t.typtype, quote_ident(t.typname) AS name FROM pg_type t
           JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm') LOOP
    EXECUTE format('DROP %s IF EXISTS public.%s CASCADE',
                   CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure::text AS name, p.prokind FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
                   CASE r.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.name);
  END LOOP;
END
$coopzone$;
"""


def _pg_restore_script(archive: Path, dump: Path, script: Path) -> None:
    """Turn the dump into the SQL script that restores it (nothing is connected to yet)."""
    try:
        _run([pg_binary("pg_restore"), "--clean", "--if-exists", "--no-owner",
              "--no-privileges", "--file", str(script), str(dump)], dict(os.environ),
             "读取数据库备份")
    except BackupError as exc:
        raise _damaged(archive, exc.detail or exc.message) from exc


def _pg_apply(url: str, clear: Path, script: Path) -> None:
    uri, env = _libpq(url)
    _run([pg_binary("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
          "-f", str(clear), "-f", str(script), "--dbname", uri], env, "恢复数据库")


# ---- restore ------------------------------------------------------------------------------


def target_is_empty(target: Target, exclude: set[Path] | None = None) -> bool:
    """No table in the database and no platform file in the data dir."""
    if data_files(target, exclude):
        return False
    if target.backend == "sqlite":
        assert target.sqlite_path is not None
        return _sqlite_is_empty(target.sqlite_path)
    return _pg_is_empty(target.url)


def _move(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, dest)


@dataclass
class _FileSwap:
    """Moves the old files aside and the new ones in; ``undo`` puts everything back."""

    data_dir: Path
    old_dir: Path
    moved_out: list[str]
    moved_in: list[str]

    def undo(self) -> None:
        for rel in reversed(self.moved_in):
            (self.data_dir / rel).unlink(missing_ok=True)
        for rel in reversed(self.moved_out):
            _move(self.old_dir / rel, self.data_dir / rel)


def _swap_files(target: Target, new_dir: Path, old_dir: Path,
                exclude: set[Path]) -> _FileSwap:
    swap = _FileSwap(target.data_dir, old_dir, [], [])
    try:
        for rel, path in data_files(target, exclude):
            _move(path, old_dir / rel)
            swap.moved_out.append(rel)
        for path in _walk_files(new_dir):
            rel = path.relative_to(new_dir).as_posix()
            _move(path, target.data_dir / rel)
            swap.moved_in.append(rel)
    except OSError as exc:
        swap.undo()
        raise BackupError("恢复文件失败，原有文件未改变",
                          detail=f"{type(exc).__name__}: {exc}") from exc
    return swap


def _walk_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield Path(folder) / name


def restore_backup(settings: Settings, archive: Path, *, force: bool = False,
                   lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Replace the database and the data dir's files with an archive's; return its manifest.

    Refused, with nothing changed: a damaged or incomplete archive, a checksum mismatch, an
    archive of another backend or of a schema revision this code does not know, and a target
    that is not empty unless ``force``. The database keeps the archive's schema revision:
    run ``coopzone db upgrade`` afterwards if it is older than this code."""
    target = target_of(settings)
    archive = archive.resolve()
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 {archive}", detail="no such file")
    target.data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + "restore-", dir=target.data_dir))
    try:
        manifest = _unpack(archive, staging / "new")
        if manifest.get("backend") != target.backend:
            raise BackupError(
                f"备份来自 {manifest.get('backend')} 数据库，不能恢复到 {target.backend}",
                detail=f"archive backend {manifest.get('backend')!r}, target {target.backend}")
        revisions = _check_revisions(target, manifest.get("alembic_revisions"))
        dump = staging / "new" / target.database_member
        script = staging / "restore.sql"
        clear = staging / "clear.sql"
        if target.backend == "sqlite":
            _check_sqlite_copy(archive, dump, revisions)
        else:
            _pg_restore_script(archive, dump, script)
            clear.write_text(_PG_CLEAR.format(lock_ms=int(lock_timeout * 1000)), "utf-8")
        if not force and not target_is_empty(target, {archive}):
            raise BackupError("目标数据库或数据目录不是空的；确认要覆盖请加 --force",
                              detail="the target database or data dir is not empty; pass "
                              "--force to replace it")
        swap = _swap_files(target, staging / "new" / DATA_PREFIX.rstrip("/"),
                           staging / "old", {archive})
        try:
            if target.backend == "sqlite":
                assert target.sqlite_path is not None
                target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
                _sqlite_copy(dump, target.sqlite_path, lock_timeout, "恢复")
            else:
                _pg_apply(target.url, clear, script)
        except BaseException:
            swap.undo()
            raise
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)
