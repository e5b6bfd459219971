"""The importer kit: bytes and a file name in, typed rows or row errors out; one preview ->
confirm protocol; idempotency by content hash and by natural key; a template per import.

Every import of the platform (water files, agreement workbooks, and the next domains') is
assembled from these parts:

* :func:`read_table` takes the upload's bytes and file name and returns a :class:`Table` of
  cells: CSV in UTF-8, UTF-8 with BOM or GB18030 (GBK) as bureaus send them, Excel
  (.xlsx/.xlsm/.xls/.ods) via python-calamine. The upload limits of
  :mod:`coopzone.kit.uploads` are applied first (zip directory checked before anything is
  inflated, rows counted).
* :class:`Column` says what one column is: its Chinese and English header, the variants
  tolerated on import, whether it is required, an example value. :func:`match_columns`
  finds the columns in a header row; :func:`template_workbook` writes the downloadable
  template from the *same* definitions, so the template and the reader cannot disagree.
* :class:`Problems` collects ``(row, column, reason)`` in the user's language (Chinese by
  default, English with ``locale="en"``) and refuses the file whole with every one of them
  (:meth:`Problems.refuse`).
* :class:`Outcome` is what a preview shows and a confirm reports: each row as ``new``,
  ``changed`` or ``unchanged`` (natural key), counts, and ``duplicate_file`` when the same
  content was applied before (content hash). :func:`compare` decides one row.
* The protocol, the same for web, API and CLI: **preview** reads and checks the file and
  the caller's rights, writes nothing but the upload itself (stored by its hash, which is
  the token of the confirmation, see :func:`stage`); **confirm** re-reads the staged bytes
  (:func:`staged`) and applies all or nothing: the edge owns the transaction and a refusal
  rolls everything back. A staged file belongs to its import: the preview records who
  staged it for which target (:class:`~coopzone.kit.models.StagedImport`), and only that
  user or one who may import into the same target (:func:`import_target` says who) confirms
  or downloads it; anyone else is told it does not exist (404).

No database writes here except :func:`stage`'s stored upload; no web framework.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.errors import InvalidInput, NotFound, RowError
from coopzone.kit.documents import (
    ALLOWED_SUFFIXES,
    document_content,
    get_document,
    store_document,
)
from coopzone.kit.exporting import set_cell
from coopzone.kit.language import english, say
from coopzone.kit.models import Document, StagedImport
from coopzone.kit.uploads import (
    Limits,
    Received,
    check_rows,
    check_spreadsheet,
    file_label,
    not_readable,
    receive,
)

if TYPE_CHECKING:
    from coopzone.config import Settings

__all__ = [
    "CSV_FORMATS",
    "EXCEL_FORMATS",
    "TABLE_FORMATS",
    "CellError",
    "Column",
    "Outcome",
    "Problems",
    "RowOutcome",
    "Table",
    "compare",
    "decode_text",
    "english",
    "import_target",
    "match_columns",
    "may_read_staged",
    "norm_header",
    "read_rows",
    "read_table",
    "request_locale",
    "say",
    "stage",
    "stage_suffix",
    "staged",
    "staged_file",
    "template_workbook",
]

CSV_FORMATS = (".csv", ".txt", ".tsv")
EXCEL_FORMATS = (".xlsx", ".xlsm", ".xls", ".ods")
TABLE_FORMATS = CSV_FORMATS + EXCEL_FORMATS
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- the user's language ------------------------------------------------------------------------


def request_locale(lang: str | None, accept_language: str = "") -> str:
    """The language of an API answer: ``?lang=`` first, else the first choice of
    ``Accept-Language``; ``en`` or ``zh_CN`` (the default)."""
    if lang is None:
        lang = accept_language.split(",")[0].split(";")[0]
    return "en" if english(lang) else "zh_CN"


# ---- cells from bytes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A sheet as cells: ``header`` is row 1, ``rows[i]`` is row ``i + 2`` as the user sees
    it. Cells are what the file holds: text (CSV: ``None`` for an empty field), numbers,
    dates and datetimes (Excel)."""

    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    name: str = ""

    def numbered(self) -> Iterable[tuple[int, tuple[Any, ...]]]:
        """``(row number, cells)`` for every non-empty data row."""
        for number, cells in enumerate(self.rows, start=2):
            if any(cell_text(c) for c in cells):
                yield number, cells


def decode_text(data: bytes, label: str | None = None, locale: str | None = None) -> str:
    """CSV bytes as bureaus send them: UTF-8 (with or without BOM), else GB18030 (a superset
    of GBK and GB2312); anything else is refused with a reason."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    name = file_label(label, locale)
    raise InvalidInput(say(locale, f"{name}不是 UTF-8 或 GBK 编码的文本，无法读取",
                           f"{name} is not UTF-8 or GBK text and cannot be read"),
                       [RowError(1, None, say(locale, "文件编码不是 UTF-8 或 GBK/GB18030",
                                              "the text is not UTF-8 or GBK/GB18030"))],
                       detail="cannot decode: not UTF-8 or GBK text")


def _csv_table(content: bytes, limits: Limits, label: str | None,
               locale: str | None = None) -> Table:
    text = decode_text(content, label, locale)
    check_rows(max(text.count("\n") - 1, 0), limits, label, locale)
    dialect: type[csv.Dialect] = csv.excel
    if "\t" in text.partition("\n")[0] and "," not in text.partition("\n")[0]:
        dialect = csv.excel_tab
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        name = file_label(label, locale)
        raise InvalidInput(say(locale, f"{name}不是可读取的 CSV 文件",
                               f"{name} is not a readable CSV file"),
                           [RowError(None, None, say(
                               locale, "CSV 格式有误（如引号不成对、字段过长）",
                               f"CSV format error: {exc}"))],
                           detail=f"csv error: {exc}") from None
    if not lines:
        return Table((), [], label or "")
    header = tuple(h.strip() for h in lines[0])
    rows = [tuple(c if c != "" else None for c in line) for line in lines[1:]]
    return Table(header, rows, label or "")


def _excel_table(content: bytes, limits: Limits, label: str | None, suffix: str,
                 locale: str | None = None) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    # A non-zip, truncated or zip-bomb workbook is refused before anything is inflated.
    check_spreadsheet(content, limits, label, suffix=suffix, locale=locale)
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        check_rows(max(sheet.height - 1, 0), limits, label, locale)
        cells = sheet.to_python()
    except (CalamineError, zipfile.BadZipFile, EOFError, zlib.error, OSError,
            ValueError, IndexError) as exc:
        raise not_readable(label, exc, locale) from exc
    if not cells:
        return Table((), [], label or "")
    header = tuple(cell_text(h) for h in cells[0])
    return Table(header, [tuple(None if c == "" else c for c in r) for r in cells[1:]],
                 label or "")


def read_table(content: bytes, filename: str, *, limits: Limits | None = None,
               label: str | None = None, formats: Sequence[str] = TABLE_FORMATS,
               locale: str | None = None) -> Table:
    """The first sheet (or the CSV) of an upload as cells.

    The file name's suffix picks the reader; a name with no known suffix is read as the first
    of ``formats`` (so an import that takes workbooks only refuses a CSV as "not an Excel
    workbook"). ``label`` names the file in refusals (default ``文件`` / ``The file``); the
    refusals are in the language of ``locale``."""
    limits = limits or Limits()
    suffix = Path(filename or "").suffix.lower()
    if suffix not in formats:
        suffix = formats[0]
    if suffix in EXCEL_FORMATS:
        return _excel_table(content, limits, label, suffix, locale)
    return _csv_table(content, limits, label, locale)


def cell_text(value: Any) -> str:
    """A cell as the text the user typed: ``1.0`` -> ``1``, dates as ISO, ``None`` -> ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != datetime.min.time() \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# ---- columns --------------------------------------------------------------------------------


def norm_header(text: Any) -> str:
    """A header as compared: full-width forms folded (``（`` -> ``(``), no spaces, lower case."""
    value = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return re.sub(r"\s+", "", value)


class CellError(ValueError):
    """A cell that cannot be read, with its reason in both languages (a Column's ``parse``
    raises it)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Column:
    """One column of an import: its header in Chinese (canonical, what templates and refusals
    name) and English, the variants tolerated on import, whether it is required, the value a
    template's example row shows, and ``parse``: the cell (``None`` when the column is absent
    or empty) to its typed value, raising :class:`CellError`; without it the cell's text."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: Any = None
    note_zh: str = ""
    note_en: str = ""
    parse: Callable[[Any], Any] | None = None

    def header(self, locale: str | None = None) -> str:
        return say(locale, self.zh, self.en)

    def names(self) -> tuple[str, ...]:
        return (self.zh, *self.aliases, self.en, self.key)

    def matches(self, header: Any) -> bool:
        wanted = {norm_header(n) for n in self.names()}
        return norm_header(header) in wanted


def match_columns(header: Sequence[Any], columns: Sequence[Column],
                  locale: str | None = None) -> tuple[dict[str, int], list[RowError]]:
    """Where each column is in ``header`` (the first match wins), and a row-1 error for every
    required column that is missing, naming the variants also accepted."""
    found: dict[str, int] = {}
    for column in columns:
        for index, name in enumerate(header):
            if column.matches(name):
                found.setdefault(column.key, index)
                break
    errors = []
    for column in columns:
        if column.required and column.key not in found:
            also = "、".join(column.aliases)
            errors.append(RowError(1, column.header(locale), say(
                locale, "缺少此列" + (f"（也可写作：{also}）" if also else ""),
                "missing column" + (f" (also accepted: {also})" if also else ""))))
    return found, errors


# ---- problems ----------------------------------------------------------------------------------


@dataclass
class Problems:
    """Row errors of one file, in the user's language; :meth:`refuse` refuses it whole."""

    locale: str | None = None
    errors: list[RowError] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, zh: str, en: str) -> None:
        self.errors.append(RowError(row, column, say(self.locale, zh, en)))

    def extend(self, errors: Iterable[RowError]) -> None:
        self.errors.extend(errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def refuse(self, message: str | None = None) -> None:
        """Raise InvalidInput with every error (nothing imported), if there is any."""
        if self.errors:
            rows = len({e.row for e in self.errors})
            raise InvalidInput(message or say(self.locale,
                                              f"文件有 {rows} 行有误，未导入任何记录",
                                              f"{rows} row(s) of the file are wrong: nothing "
                                              "was imported"),
                               list(self.errors),
                               detail=f"{len(self.errors)} problem(s) in {rows} row(s)")


# ---- typed rows ------------------------------------------------------------------------------


Row = dict[str, Any]
# The nouns :func:`read_rows` names a file by, in English.
NOUNS_EN = {"文件": "file", "工作簿": "workbook"}
Build = Callable[[int, Row, "Problems"], Any]


def read_rows(content: bytes, filename: str, columns: Sequence[Column], *,
              build: Build | None = None, unique: Sequence[str] = (),
              limits: Limits | None = None, label: str | None = None,
              locale: str | None = None, formats: Sequence[str] = TABLE_FORMATS,
              noun: str = "文件") -> list[Any]:
    """Bytes and a file name to typed rows, or the whole file refused (InvalidInput) with
    every ``(row, column, reason)`` in the user's language.

    Each non-empty data row is read column by column (``Column.parse``, in the columns'
    order); a row whose cells all read is handed to ``build(row number, values, problems)``
    for checks across columns (add to ``problems`` to refuse it) and its result (``None`` to
    drop the row) is kept; without ``build`` the values themselves are kept. A value of a
    ``unique`` column repeated in a later row is refused there. ``noun`` names the file in
    the messages (文件, 工作簿; in English: file, workbook)."""
    table = read_table(content, filename, limits=limits, label=label, formats=formats,
                       locale=locale)
    noun_en = NOUNS_EN.get(noun, "file")
    if not table.header and not table.rows:
        raise InvalidInput(say(locale, f"{noun}是空的", f"The {noun_en} is empty"),
                           [RowError(None, None, say(
                               locale, "第一个工作表是空的", "the first sheet is empty"))])
    found, missing = match_columns(table.header, columns, locale)
    if missing:
        raise InvalidInput(say(locale, f"{noun}缺少必需的列",
                               f"The {noun_en} lacks required columns"), missing)
    problems = Problems(locale)
    kept: list[Any] = []
    seen: dict[tuple[str, Any], int] = {}
    for number, cells in table.numbered():
        values: Row = {}
        before = len(problems.errors)
        for column in columns:
            index = found.get(column.key)
            cell = cells[index] if index is not None and index < len(cells) else None
            if column.parse is None:
                values[column.key] = cell_text(cell)
                continue
            try:
                values[column.key] = column.parse(cell)
            except CellError as exc:
                problems.add(number, column.zh, exc.zh, exc.en)
        if len(problems.errors) > before:
            continue
        result = build(number, values, problems) if build is not None else values
        if len(problems.errors) > before or result is None:
            continue
        for key in unique:
            column = next(c for c in columns if c.key == key)
            first = seen.setdefault((key, values[key]), number)
            if first != number:
                problems.add(number, column.zh, f"与第 {first} 行的{column.zh}相同",
                             f"same {key} as row {first}")
        kept.append(result)
    wrong = len({e.row for e in problems.errors})
    problems.refuse(say(locale, f"{noun}有 {wrong} 行有误，未导入任何记录",
                        f"{wrong} row(s) of the {noun_en} are wrong: nothing was imported"))
    if not kept:
        raise InvalidInput(say(locale, f"{noun}没有数据行", f"The {noun_en} has no data rows"),
                           [RowError(None, None, say(locale, "没有数据行", "no data rows"))])
    return kept


# ---- outcome: natural key and content hash ------------------------------------------------


ACTIONS = ("new", "changed", "unchanged")


@dataclass(frozen=True)
class RowOutcome:
    """What importing one row does: ``new``, ``changed`` (with each changed field as
    ``[stored, file]``) or ``unchanged``."""

    row: int
    key: str
    action: str
    changes: dict[str, list[str]] = field(default_factory=dict)


def compare(row: int, key: str, stored: Mapping[str, str] | None,
            incoming: Mapping[str, str]) -> RowOutcome:
    """The natural-key decision for one row: no stored record -> new; stored with the same
    values -> unchanged; else changed, listing the fields that differ."""
    if stored is None:
        return RowOutcome(row, key, "new", {})
    changes = {k: [stored.get(k, ""), v] for k, v in incoming.items() if stored.get(k, "") != v}
    return RowOutcome(row, key, "changed" if changes else "unchanged", changes)


@dataclass(frozen=True)
class Outcome:
    """A preview's or a confirmation's result. ``duplicate_file`` is set when this very
    content was applied before: nothing was (or would be) added."""

    rows: list[RowOutcome]
    duplicate_file: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def nothing_to_do(self) -> bool:
        """True when applying it adds and changes nothing (a repeated file, or every row
        already stored as it is)."""
        return self.duplicate_file or all(r.action == "unchanged" for r in self.rows)

    def summary(self, locale: str | None = None) -> str:
        """One line for the user: counts, and plainly when the file adds nothing."""
        if self.duplicate_file:
            return say(locale, "这个文件已经导入过，再次导入不会增加任何记录",
                       "this file was imported before: importing it again adds nothing")
        new, changed, same = self.count("new"), self.count("changed"), self.count("unchanged")
        if not new and not changed:
            return say(locale,
                       f"文件中的 {same} 条记录与已保存的完全相同，导入不会增加或修改任何记录",
                       f"all {same} rows are already stored as they are: nothing to add or "
                       "change")
        return say(locale, f"新增 {new} 条，修改 {changed} 条，未变 {same} 条",
                   f"{new} new, {changed} changed, {same} unchanged")


# ---- preview -> confirm ------------------------------------------------------------------------


# Who may import into each target, by name: ``target -> may(principal)``. Each domain
# declares its imports where their rules live (:func:`import_target`); a target nobody
# declared is confirmed and downloaded by its stager alone.
IMPORT_TARGETS: dict[str, Callable[[Any], bool]] = {}


def import_target(name: str, may: Callable[[Any], bool]) -> str:
    """Declare an import target (``ecology.readings``) and who may import into it (the
    check made before a file is received); returns the name, for ``stage`` and ``staged``."""
    IMPORT_TARGETS[name] = may
    return name


def may_import_into(target: str, principal: Any) -> bool:
    may = IMPORT_TARGETS.get(target)
    return may is not None and bool(may(principal))


def stage(session: Session, files_dir: Path, filename: str, content: bytes,
          uploaded_by: str = "", limits: Limits | None = None,
          suffix: str = ".xlsx", *, target: str | None = None,
          user_id: int | None = None) -> Document:
    """Keep a previewed upload for its confirmation: the only write a preview makes. The
    stored document's ``sha256`` is the confirmation's token; the same content is kept once.
    With ``target`` the staging is recorded (who, for which import), so that only that user
    or one who may import into ``target`` confirms or downloads it. A name without a suffix
    the document store takes (``清单``, ``x.xlsm``) gets the import's ``suffix``: the reader
    already accepted the content as that format."""
    if Path(filename).suffix.lower() not in ALLOWED_SUFFIXES:
        filename += suffix
    doc = store_document(session, files_dir, filename, content, uploaded_by, limits)
    if target is not None and session.scalar(select(StagedImport.id).where(
            StagedImport.document_id == doc.id, StagedImport.target == target,
            StagedImport.user_id.is_(None) if user_id is None
            else StagedImport.user_id == user_id)) is None:
        session.add(StagedImport(document_id=doc.id, target=target, user_id=user_id))
        session.flush()
    return doc


def _not_found(token: str) -> NotFound:
    # The answer for a file that does not exist: a hash someone else staged reveals nothing.
    return NotFound("没有这个文件", detail=f"unknown document {token}")


def staged(session: Session, files_dir: Path, token: str, *, target: str | None = None,
           principal: Any = None) -> tuple[Document, bytes]:
    """The upload a preview staged under ``token`` and its bytes (checked against the hash),
    or NotFound. With ``target``: only when it was staged for that import by ``principal``
    (its ``user_id``) or ``principal`` may import into ``target`` (NotFound else)."""
    doc = get_document(session, token)
    if target is not None:
        stagings = session.execute(select(StagedImport.target, StagedImport.user_id).where(
            StagedImport.document_id == doc.id, StagedImport.target == target)).all()
        user_id = getattr(principal, "user_id", None)
        mine = any(user_id is not None and u == user_id for _t, u in stagings)
        if not stagings or not (mine or may_import_into(target, principal)):
            raise _not_found(token)
    return doc, document_content(files_dir, doc)


def may_read_staged(session: Session, doc: Document, principal: Any) -> bool | None:
    """Whether ``principal`` may download ``doc`` as a staged import file: it staged it, or
    may import into a target it was staged for. None when ``doc`` was never staged for a
    declared import (the caller decides by the document's other uses)."""
    stagings = session.execute(select(StagedImport.target, StagedImport.user_id).where(
        StagedImport.document_id == doc.id)).all()
    if not stagings:
        return None
    user_id = getattr(principal, "user_id", None)
    return any((user_id is not None and u == user_id) or may_import_into(t, principal)
               for t, u in stagings)


class _InMemory:
    """Bytes as an upload (see :class:`coopzone.kit.uploads.UploadLike`)."""

    def __init__(self, filename: str, content: bytes) -> None:
        self.filename: str | None = filename
        self.file: IO[bytes] = io.BytesIO(content)


@contextmanager
def staged_file(settings: Settings, filename: str, content: bytes) -> Iterator[Received]:
    """Staged bytes as a temporary file named like the upload (its suffix picks the reader),
    for readers that take a path; removed when the block ends."""
    with receive(_InMemory(filename, content), settings, filename) as received:
        yield received


def stage_suffix(filename: str) -> str:
    """The suffix a staged table is kept under: Excel stays Excel, anything else is CSV."""
    return ".xlsx" if Path(filename).suffix.lower() in EXCEL_FORMATS else ".csv"


# ---- templates ---------------------------------------------------------------------------------


def template_workbook(title: str, columns: Sequence[Column], locale: str | None = None,
                      examples: Sequence[Sequence[Any]] | None = None,
                      notes: bool = True) -> bytes:
    """An .xlsx with the import's headers (Chinese, or English with ``locale="en"``) in
    row 1 and one example row (each column's ``example``) below; required headers are bold.
    With ``notes`` a second sheet explains each column. Read back by the import's reader,
    the example row imports as it is."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for index, column in enumerate(columns, 1):
        cell = set_cell(sheet, 1, index, column.header(locale))
        cell.font = Font(bold=column.required)
        width = max(len(column.header(locale)) * 2, len(cell_text(column.example)) + 2, 10)
        sheet.column_dimensions[cell.column_letter].width = min(width, 60)
    for r, values in enumerate(examples or [[c.example for c in columns]], 2):
        for index, value in enumerate(values, 1):
            set_cell(sheet, r, index, value)
    if notes:
        about = book.create_sheet(say(locale, "说明", "Notes"))
        set_cell(about, 1, 1, say(locale, "列", "column"))
        set_cell(about, 1, 2, say(locale, "必填", "required"))
        set_cell(about, 1, 3, say(locale, "也可写作", "also accepted"))
        set_cell(about, 1, 4, say(locale, "说明", "notes"))
        for r, column in enumerate(columns, 2):
            set_cell(about, r, 1, column.header(locale))
            set_cell(about, r, 2, say(locale, "是" if column.required else "否",
                                      "yes" if column.required else "no"))
            # A Chinese template names the Chinese spellings; the English one every spelling.
            shown = (column.aliases if locale == "en"
                     else [a for a in column.aliases if not a.isascii()])
            set_cell(about, r, 3, "、".join(shown))
            set_cell(about, r, 4, say(locale, column.note_zh, column.note_en or column.note_zh))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_name(base_zh: str, base_en: str, locale: str | None = None) -> str:
    """The download name of a template: ``<名称>导入模板.xlsx`` / ``<name>-template.xlsx``."""
    return say(locale, f"{base_zh}导入模板.xlsx", f"{base_en}-template.xlsx")


