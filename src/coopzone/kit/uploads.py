"""Uploaded files, received safely: every upload route goes through here.

* :func:`receive` streams an upload into a temporary file under ``<data_dir>/tmp/uploads``
  (never the system's temporary folder), counting bytes as it goes and refusing (413) past
  the per-upload limit; the file is removed when the block ends, on success or failure.
  While a request holds it the file is locked, so :func:`sweep` (run when the app and the
  command line start) removes only files left by a process that died mid-upload.
* :func:`safe_name` gives a clean name for anything a browser sends as a file name (``..``,
  NUL bytes, path separators, control characters); :func:`display_name` keeps the original
  only as escaped text for display.
* :func:`atomic_write` stores a file under its final name or not at all: the partial file
  is removed on every failure path.
* :func:`check_spreadsheet` refuses a non-zip or truncated ``.xlsx`` and zip bombs (sum of
  the members' uncompressed sizes, compression ratio) before any parser sees the file;
  :func:`check_rows` bounds the rows read from a sheet or CSV.

Every refusal is a :class:`~coopzone.errors.CoopzoneError` whose message and row reasons are
in the user's language (Chinese, or English with ``locale="en"``); its ``detail`` is the
technical cause, for the logs.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO, Protocol

from coopzone.config import Settings
from coopzone.errors import InvalidInput, RowError, TooLarge
from coopzone.kit.language import english, say

try:  # POSIX: a live upload is locked so that a sweep never removes it
    import fcntl
except ImportError:  # pragma: no cover - Windows is not a target
    fcntl = None  # type: ignore[assignment]

CHUNK = 1024 * 1024
TMP_SUBDIR = Path("tmp") / "uploads"
PART_SUFFIX = ".part"
ZIP_FORMATS = (".xlsx", ".xlsm", ".ods")
MAX_NAME = 120


class UploadLike(Protocol):
    """What a web framework hands over for a file field (Starlette's UploadFile)."""

    @property
    def filename(self) -> str | None: ...

    @property
    def file(self) -> IO[bytes]: ...


@dataclass(frozen=True)
class Limits:
    """Upload limits, from the settings (``COOPZONE_UPLOAD_*``)."""

    max_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 200 * 1024 * 1024
    max_zip_ratio: int = 100
    max_rows: int = 1_000_000

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.upload_max_bytes, settings.upload_max_unzipped_bytes,
                   settings.upload_max_zip_ratio, settings.upload_max_rows)


UNLIMITED = Limits(2**62, 2**62, 2**62, 2**62)
"""For files an operator reads from disk (command line): still checked to be readable."""


@dataclass(frozen=True)
class Received:
    """An upload held in a temporary file for the duration of a ``receive`` block."""

    path: Path  # the temporary file; its suffix is the clean name's
    name: str  # clean name (see safe_name)
    display: str  # the name as sent, escaped for display
    size: int
    sha256: str

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


# ---- names ------------------------------------------------------------------------------------


def _printable(ch: str) -> bool:
    return not unicodedata.category(ch).startswith("C")


def safe_name(name: str | None, default: str = "upload") -> str:
    """A file name safe to use anywhere: the last path component (``/`` and ``\\`` both
    separate), without control or format characters, without leading dots or trailing dots
    and spaces, at most 120 characters (the suffix kept). ``default`` when nothing is left."""
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if _printable(ch)).strip().lstrip(".").rstrip(". ")
    if not text:
        return default
    if len(text) > MAX_NAME:
        stem, dot, suffix = text.rpartition(".")
        suffix = f".{suffix}" if dot and stem and len(suffix) <= 10 else ""
        text = text[:MAX_NAME - len(suffix)] + suffix
    return text


def display_name(name: str | None, default: str = "upload") -> str:
    """The name as it was sent, for display only: control characters (NUL, newline, …) are
    written as ``\\xNN``/``\\uNNNN`` escapes; at most 255 characters."""
    if not name:
        return default
    out = "".join(ch if _printable(ch) else ch.encode("unicode_escape").decode("ascii")
                  for ch in name)
    return out[:255]


# ---- temporary files ---------------------------------------------------------------------------


def tmp_dir(data_dir: Path) -> Path:
    return data_dir / TMP_SUBDIR


def _lock(handle: IO[bytes]) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _unlocked(path: Path) -> bool:
    """Whether no live process holds ``path`` (it may be removed)."""
    if fcntl is None:
        return True
    try:
        with path.open("rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True
    except OSError:
        return False


@contextmanager
def _temporary(directory: Path, suffix: str) -> Iterator[tuple[Path, IO[bytes]]]:
    """A new locked file in ``directory``, removed when the block ends however it ends."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".{secrets.token_hex(8)}{suffix}"
    handle = path.open("xb")
    try:
        _lock(handle)
        yield path, handle
    finally:
        handle.close()
        with suppress(FileNotFoundError):
            path.unlink()


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix.isascii() and len(suffix) <= 10 else ""


@contextmanager
def receive(upload: UploadLike, settings: Settings, default: str = "upload",
            limits: Limits | None = None, locale: str | None = None) -> Iterator[Received]:
    """Stream ``upload`` into a temporary file under the data directory, refusing it (413,
    nothing kept) past ``limits.max_bytes``; the file is removed when the block ends."""
    limits = limits or Limits.of(settings)
    name = safe_name(upload.filename, default)
    digest = hashlib.sha256()
    size = 0
    with _temporary(tmp_dir(settings.data_dir), _suffix(name)) as (path, out):
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limits.max_bytes:
                raise TooLarge(say(
                    locale, f"上传的文件超过 {size_text(limits.max_bytes)} 的上限，未保存",
                    f"The upload is larger than the {size_text(limits.max_bytes, locale)} "
                    "limit: nothing was saved"),
                    detail=f"upload larger than {limits.max_bytes} bytes")
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        yield Received(path, name, display_name(upload.filename, default), size,
                       digest.hexdigest())


def size_text(n: int, locale: str | None = None) -> str:
    """A byte count as people read it: 20 MB, 64 KB, 1000 字节 (1000 bytes)."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n / 1024:g} KB" if n >= 1024 else say(locale, f"{n} 字节", f"{n} bytes")


def sweep(data_dir: Path, *more: Path) -> int:
    """Remove what a process that died mid-upload left: unlocked files in the upload
    temporary folder and unlocked ``*.part`` files in ``more`` folders. Returns the count."""
    removed = 0
    places = [(tmp_dir(data_dir), "*")] + [(d, f"*{PART_SUFFIX}") for d in more]
    for folder, pattern in places:
        if not folder.is_dir():
            continue
        for path in folder.glob(pattern):
            if path.is_file() and _unlocked(path):
                with suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
    return removed


def atomic_write(target: Path, content: bytes) -> None:
    """Write ``target`` whole or not at all: a locked ``.part`` beside it, then renamed; the
    partial file is removed on every failure (a full disk, an error, an interrupt)."""
    with _temporary(target.parent, PART_SUFFIX) as (path, out):
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
        os.replace(path, target)


# ---- spreadsheets --------------------------------------------------------------------------------


def file_label(label: str | None, locale: str | None) -> str:
    """How a refusal begins by naming the file: the caller's label (often the file's name),
    else 文件 / The file. Chinese sets a label apart by a space: "a.xlsx 不是…", "文件不是…"."""
    if english(locale):
        return label or "The file"
    return f"{label} " if label else "文件"


def _not_xlsx(label: str | None, locale: str | None, zh: str, en: str,
              detail: str) -> InvalidInput:
    reason = say(locale, zh, en)
    message = say(locale, f"{file_label(label, locale)}不是 Excel 工作簿（.xlsx）：{zh}",
                  f"{file_label(label, locale)} is not an Excel workbook (.xlsx): {en}")
    return InvalidInput(message, [RowError(None, None, reason)], detail=detail)


# How an .xlsx begins: a workbook is a zip archive, whose first member header starts so.
ZIP_MAGIC = b"PK\x03\x04"


def _starts_like_zip(source: Path | bytes) -> bool:
    if isinstance(source, bytes):
        return source.startswith(ZIP_MAGIC)
    try:
        with source.open("rb") as handle:
            return handle.read(4) == ZIP_MAGIC
    except OSError:
        return False


def check_spreadsheet(source: Path | bytes, limits: Limits, label: str | None = None,
                      suffix: str = ".xlsx", locale: str | None = None) -> None:
    """Refuse (422) a zip-based spreadsheet that is not a zip, is truncated, or would
    decompress past the limits, reading only the zip's directory (no member is inflated).
    The reasons are the user's words (a file cut short, another file renamed .xlsx), never
    the container's ("zip")."""
    if suffix.lower() not in ZIP_FORMATS:
        return
    try:
        with zipfile.ZipFile(BytesIO(source) if isinstance(source, bytes) else source) as book:
            members = book.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        cause = f"not a readable zip archive ({type(exc).__name__})"
        if _starts_like_zip(source):  # it began as a workbook: cut short or damaged
            raise _not_xlsx(label, locale, "文件不完整或已损坏（可能没有上传完整）",
                            "the file is incomplete or damaged (perhaps cut short)",
                            cause) from None
        raise _not_xlsx(label, locale, "内容是其他格式的文件（可能只是改了扩展名）",
                        "its content is not an Excel workbook (perhaps another file "
                        "renamed to .xlsx)", cause) from None
    if not members:
        raise _not_xlsx(label, locale, "工作簿里没有任何内容", "the workbook holds nothing",
                        "empty zip archive")
    unzipped = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    name = file_label(label, locale)
    if unzipped > limits.max_unzipped_bytes:
        most = size_text(limits.max_unzipped_bytes, locale)
        raise InvalidInput(
            say(locale, f"{name}解压后超过 {most} 的上限，未导入",
                f"{name} is larger than {most} once unpacked: nothing was imported"),
            [RowError(None, None, say(locale, f"解压后 {unzipped} 字节，超过上限",
                                      f"{unzipped} bytes unpacked, over the limit"))],
            detail=f"uncompressed size {unzipped} bytes over the limit "
                   f"{limits.max_unzipped_bytes}")
    if unzipped > 1024 * 1024 and unzipped > limits.max_zip_ratio * max(packed, 1):
        ratio = unzipped // max(packed, 1)
        raise InvalidInput(
            say(locale, f"{name}的压缩比异常（超过 {limits.max_zip_ratio} 倍），"
                        "疑似压缩炸弹，未导入",
                f"{name} unpacks to more than {limits.max_zip_ratio} times its size, as a "
                "decompression bomb does: nothing was imported"),
            [RowError(None, None, say(locale, f"压缩比 {ratio} 倍，超过上限",
                                      f"compression ratio {ratio}, over the limit"))],
            detail=f"compression ratio {ratio} over the limit {limits.max_zip_ratio}")


def not_readable(label: str | None, exc: BaseException,
                 locale: str | None = None) -> InvalidInput:
    """The refusal for a spreadsheet whose contents fail to read (a damaged member)."""
    return _not_xlsx(label, locale, "内容无法读取（文件可能不完整）",
                     "its content cannot be read (the file may be incomplete)",
                     f"cannot read the workbook ({type(exc).__name__})")


def check_rows(rows: int, limits: Limits, label: str | None = None,
               locale: str | None = None) -> None:
    """Refuse (422) a sheet or CSV with more data rows than the limit."""
    if rows > limits.max_rows:
        name = file_label(label, locale)
        raise InvalidInput(
            say(locale, f"{name}超过 {limits.max_rows} 行的上限，未导入",
                f"{name} has more than {limits.max_rows} rows: nothing was imported"),
            [RowError(None, None, say(locale, f"数据行超过 {limits.max_rows} 行",
                                      f"more than {limits.max_rows} data rows"))],
            detail="row count over the limit")
