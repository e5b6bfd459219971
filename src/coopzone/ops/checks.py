"""Start-up checks: what must hold before the platform serves in production.

Each check gives a :class:`Finding`; ``error`` stops a production start, ``warning`` is shown.
Outside production the production-only rules (secret length, Secure cookie, no as_of) are
reported as warnings, so ``coopzone check`` says what a production start would refuse.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import make_url, text

from coopzone.config import DEVELOPMENT_SECRET, Settings
from coopzone.db import make_engine

MIN_PRODUCTION_SECRET = 32

Level = Literal["ok", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    zh: str
    en: str


def _secret(settings: Settings, strict: Level) -> Finding:
    if settings.secret_key == DEVELOPMENT_SECRET:
        return Finding("secret", strict, "COOPZONE_SECRET_KEY 未设置（仍是开发用的默认值）",
                       "COOPZONE_SECRET_KEY is the development default: set a real secret")
    if len(settings.secret_key) < MIN_PRODUCTION_SECRET:
        return Finding("secret", strict,
                       f"COOPZONE_SECRET_KEY 太短（至少 {MIN_PRODUCTION_SECRET} 个字符）",
                       f"COOPZONE_SECRET_KEY has {len(settings.secret_key)} characters; "
                       f"production needs at least {MIN_PRODUCTION_SECRET} (e.g. python -c "
                       "'import secrets; print(secrets.token_urlsafe(48))')")
    return Finding("secret", "ok", "密钥已设置", "secret key set")


def _database(settings: Settings) -> list[Finding]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from coopzone.migrate import alembic_config

    url = settings.effective_database_url
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    # Connecting to a missing SQLite file would create an empty one; say what is missing.
    if (parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
            and not Path(str(parsed.database)).is_file()):
        return [Finding("database", "error", f"数据库文件 {parsed.database} 不存在",
                        f"no SQLite database at {parsed.database}: check "
                        "COOPZONE_DATABASE_URL / COOPZONE_DATA_DIR, then run coopzone db "
                        "upgrade")]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # any driver failure means "unreachable"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return [Finding("database", "error", f"无法连接数据库 {shown}",
                        f"database {shown} unreachable: {type(exc).__name__}: {first}")]
    finally:
        engine.dispose()
    found = [Finding("database", "ok", "数据库可以连接", f"database {shown} reachable")]
    script = ScriptDirectory.from_config(alembic_config(url))
    heads = set(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    if not current:
        found.append(Finding("migrations", "error",
                             "数据库尚未初始化：请先运行 coopzone db upgrade",
                             "the database has no schema: run coopzone db upgrade"))
    elif current - known:
        found.append(Finding(
            "migrations", "error", "数据库结构比本程序新：请升级 coopzone",
            f"the database is at {', '.join(sorted(current))}, unknown to this coopzone "
            f"(head {', '.join(sorted(heads))}): upgrade coopzone"))
    elif current != heads:
        found.append(Finding(
            "migrations", "error", "数据库结构不是最新：请运行 coopzone db upgrade",
            f"the database is at {', '.join(sorted(current))}, this coopzone expects "
            f"{', '.join(sorted(heads))}: run coopzone db upgrade"))
    else:
        found.append(Finding("migrations", "ok", "数据库结构是最新的",
                             f"schema at head {', '.join(sorted(heads))}"))
    return found


def _data_dir(settings: Settings) -> Finding:
    folder = settings.data_dir.resolve()
    if not folder.is_dir():
        return Finding("data_dir", "error", f"数据目录 {folder} 不存在或不是目录",
                       f"COOPZONE_DATA_DIR {folder} does not exist or is not a directory")
    for place in (folder, folder / "files"):
        if not place.is_dir():
            continue
        try:
            with tempfile.NamedTemporaryFile(dir=place, prefix=".coopzone-check-") as probe:
                probe.write(b"ok")
                probe.flush()
        except OSError as exc:
            return Finding("data_dir", "error", f"数据目录 {place} 不可写",
                           f"cannot write in {place}: {type(exc).__name__}: {exc}")
    return Finding("data_dir", "ok", "数据目录可写", f"data dir {folder} writable")


def startup_checks(settings: Settings) -> list[Finding]:
    """Every check, in the order an operator fixes them."""
    production = settings.env == "production"
    strict: Level = "error" if production else "warning"
    found = [_secret(settings, strict)]
    found.extend(_database(settings))
    found.append(_data_dir(settings))
    if settings.cookie_secure:
        found.append(Finding("cookie_secure", "ok", "会话 Cookie 仅经 HTTPS 发送",
                             "session cookie is Secure"))
    else:
        found.append(Finding("cookie_secure", strict,
                             "COOPZONE_COOKIE_SECURE 未开启：生产环境必须经 HTTPS 提供服务",
                             "COOPZONE_COOKIE_SECURE is off: set it to true and serve over "
                             "HTTPS"))
    if settings.as_of is not None:
        found.append(Finding("as_of", "warning",
                             f"COOPZONE_AS_OF={settings.as_of}：平台把这一天当作今天",
                             f"COOPZONE_AS_OF is set: the platform treats {settings.as_of} as "
                             "today; unset it in production"))
    if not production:
        found.append(Finding("env", "warning", f"COOPZONE_ENV={settings.env}，不是 production",
                             f"COOPZONE_ENV is {settings.env}: production rules are shown as "
                             "warnings"))
    return found


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == "error"]
