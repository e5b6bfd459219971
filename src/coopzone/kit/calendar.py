"""The platform's working-day calendar: the shipped years plus the notices an administrator
has loaded (``coopzone calendar load FILE``), kept as small CSV files under the data dir
(``<data dir>/calendar/<year>.csv``) so that backups carry them and the clock can be checked
without a database."""

from __future__ import annotations

from pathlib import Path

from coopzone.config import Settings
from coopzone.engines.working_days import (
    Calendar,
    NoticeError,
    YearNotice,
    notice_csv,
    parse_notice,
    shipped_calendar,
)
from coopzone.errors import InvalidInput, RowError
from coopzone.kit.uploads import atomic_write

SUBDIR = "calendar"
MAX_NOTICE_BYTES = 64 * 1024

_cache: dict[Path, tuple[tuple[tuple[str, int], ...], Calendar]] = {}


def calendar_dir(settings: Settings) -> Path:
    return settings.data_dir / SUBDIR


def _loaded_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.csv") if p.stem.isdigit())


def loaded_notices(settings: Settings) -> list[YearNotice]:
    """The notices loaded into this platform, by year."""
    out = []
    for path in _loaded_files(calendar_dir(settings)):
        out.append(parse_notice(path.read_bytes(), path.name))
    return out


def platform_calendar(settings: Settings) -> Calendar:
    """The shipped years with the loaded notices (a loaded year replaces a shipped one);
    built again only when a notice file changes."""
    folder = calendar_dir(settings).resolve()
    files = _loaded_files(folder)
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in files)
    hit = _cache.get(folder)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    calendar = shipped_calendar(parse_notice(p.read_bytes(), p.name) for p in files)
    _cache[folder] = (stamp, calendar)
    return calendar


def read_notice(content: bytes, name: str, source: str | None = None) -> YearNotice:
    """A notice file checked whole: refused (422) with row, column and reason."""
    if len(content) > MAX_NOTICE_BYTES:
        raise InvalidInput(f"{name} 太大：节假日安排文件不超过 {MAX_NOTICE_BYTES // 1024} KB")
    try:
        return parse_notice(content, source or name)
    except NoticeError as exc:
        raise InvalidInput(f"{name} 不能作为节假日安排载入",
                           [RowError(r, c, why) for r, c, why in exc.errors]) from None


def load_notice(settings: Settings, content: bytes, name: str, source: str | None = None
                ) -> tuple[YearNotice, bool]:
    """Check and keep one year's notice; returns it and whether it replaced a loaded one.
    The file is written whole or not at all."""
    notice = read_notice(content, name, source)
    folder = calendar_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{notice.year}.csv"
    replaced = target.exists()
    atomic_write(target, notice_csv(notice).encode("utf-8"))
    return notice, replaced
