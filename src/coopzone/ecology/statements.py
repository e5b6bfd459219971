"""Yearly compensation statements for both finance bureaus, as Excel (openpyxl) and PDF
(fpdf2 with the shipped Chinese font), every line with its working.

The documents are addressed to Chinese finance bureaus, so their text is Chinese whatever
the page language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session

from coopzone.db import SHANGHAI
from coopzone.ecology import ledger
from coopzone.ecology.models import Statement, StatementChange
from coopzone.engines.eco_compensation import CLASS_NAMES
from coopzone.kit.exporting import set_cell
from coopzone.kit.money import amount_in_words
from coopzone.kit.statements import ACTION_NAMES, CHANGE_STATE_NAMES, STATE_NAMES, StatementEvent

FONT_FILE = "CoopzoneSansSC-Regular.ttf"
FONT_FAMILY = "CoopzoneSansSC"
STATUS_NAMES = {"accrued": "计入", "held": "挂起待复核", "skipped": "不计", "withdrawn": "撤销"}
# Rule kinds of the settlement engine (coopzone.engines.eco_compensation), as bureaus name them.
RULE_KIND_NAMES = {"class_bet": "水质类别对赌", "class_step": "按水质类别级差补偿",
                   "index_change": "按污染物指数变化补偿", "index_threshold": "按补偿指数补偿",
                   "pooled_fund": "共同出资、按断面分配", "item_penalty": "超标项目定额扣缴"}
# Words of a declared agreement version ("2022-assumed").
VERSION_WORDS = {"assumed": "条款为假设", "illustrative": "示意"}
HEADERS = ("月份", "断面", "水质类别", "协议", "轮次", "规则", "付款方", "收款方",
           "金额（元）", "状态", "计算过程")


def font_path() -> Path:
    return Path(str(resources.files("coopzone.web").joinpath(f"static/fonts/{FONT_FILE}")))


def yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def rule_label(kind: str) -> str:
    return RULE_KIND_NAMES.get(kind, kind)


def version_label(version: str) -> str:
    """A declared version in Chinese: "2022-assumed" → "2022（条款为假设）"."""
    if version in VERSION_WORDS:
        return VERSION_WORDS[version]
    head, _sep, word = version.partition("-")
    return f"{head}（{VERSION_WORDS[word]}）" if word in VERSION_WORDS else version


def in_words(amount: Decimal) -> str:
    """An amount as bureaus print it beside the figures: 人民币 + 大写金额."""
    return "人民币" + amount_in_words(amount)


def class_label(water_class: int | None) -> str:
    return CLASS_NAMES[water_class - 1] + "类" if water_class else "无数据"


@dataclass(frozen=True)
class Document:
    """What both formats print."""

    title: str
    statement: Statement
    names: dict[str, str]  # party code → name
    bureaus: dict[str, str]  # party code → finance bureau
    agreements: list[str]  # "id v1: title (version)"
    left_out: list[ledger.LeftOut]  # months of the year that move no money, and why
    history: list[StatementEvent]

    def name(self, code: str | None) -> str:
        return self.names.get(code or "", code or "—")

    @property
    def net_text(self) -> str:
        s = self.statement
        return (f"{s.year} 年净额：{self.name(s.payer_code)} 付 {self.name(s.payee_code)} "
                f"{yuan(s.amount)} 元（{self.name(s.payer_code)}→{self.name(s.payee_code)} "
                f"{yuan(s.gross_payer_to_payee)} 元，反向 {yuan(s.gross_payee_to_payer)} 元），"
                f"{s.due.isoformat()} 前清缴")

    @property
    def net_words(self) -> str:
        return f"净额大写：{in_words(self.statement.amount)}"

    def header_rows(self) -> list[tuple[str, str]]:
        s = self.statement
        rows = [
            ("致", "、".join(self.bureaus[c] for c in (s.payer_code, s.payee_code))),
            ("协议", "；".join(self.agreements)),
            ("结算年度", str(s.year)),
            ("付款方", f"{self.name(s.payer_code)}（{s.payer_code}）"),
            ("收款方", f"{self.name(s.payee_code)}（{s.payee_code}）"),
            ("净额（元）", yuan(s.amount)),
            ("净额大写", in_words(s.amount)),
            ("说明", self.net_text),
            ("清缴期限", s.due.isoformat()),
            ("核算截至", f"{s.through}（第 {s.revision} 次核算，{_when(s.computed_at)}）"),
            ("挂起 / 不计月份", f"{s.held} / {s.skipped}"),
            ("状态", STATE_NAMES.get(s.state, s.state)),
            ("付款方确认", _who(s.payer_confirmed_by, s.payer_confirmed_at)),
            ("收款方确认", _who(s.payee_confirmed_by, s.payee_confirmed_at)),
            ("付款", f"{s.paid_on.isoformat()}，凭证号 {s.voucher_no}（{s.paid_recorded_by}）"
             if s.paid_on else "—"),
            ("结清", _who(s.closed_by, s.closed_at)),
        ]
        return rows

    def line_rows(self) -> list[tuple[str, ...]]:
        return [(ln.period, ln.section, class_label(ln.water_class), ln.agreement, ln.round,
                 rule_label(ln.rule), self.name(ln.payer_code) if ln.payer_code else "—",
                 self.name(ln.payee_code) if ln.payee_code else "—", yuan(ln.amount),
                 STATUS_NAMES.get(ln.status, ln.status),
                 "\n".join(f"{i}. {step['text']}" for i, step in enumerate(ln.steps, 1)))
                for ln in self.statement.lines]

    def change_rows(self) -> list[tuple[str, ...]]:
        return [_change_row(self, c) for c in self.statement.changes]

    def left_out_rows(self) -> list[tuple[str, str]]:
        return [(m.period, m.reason) for m in self.left_out]

    def history_rows(self) -> list[tuple[str, ...]]:
        return [(_when(e.at), ACTION_NAMES.get(e.action, e.action),
                 STATE_NAMES.get(e.to_state, CHANGE_STATE_NAMES.get(e.to_state, e.to_state)),
                 self.name(e.party_code) if e.party_code else "—", e.actor,
                 f"{yuan(e.amount)}（{in_words(e.amount)}）" if e.amount is not None else "—",
                 e.note or "—")
                for e in self.history]

    def history_table(self) -> list[tuple[str, ...]]:
        """The history as the PDF prints it: when, what, from which state to which, for which
        side, who, the amount and the reason (the voucher of a payment, the round of a
        recomputation)."""
        return [(_when(e.at), ACTION_NAMES.get(e.action, e.action), _state(e.from_state),
                 _state(e.to_state), self.name(e.party_code) if e.party_code else "—", e.actor,
                 f"{yuan(e.amount)}（{in_words(e.amount)}）" if e.amount is not None else "—",
                 e.note or "—")
                for e in self.history]


def _state(state: str) -> str:
    if not state:
        return "—"  # the first computation comes from no state
    return STATE_NAMES.get(state, CHANGE_STATE_NAMES.get(state, state))


def _when(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _who(by: str | None, at: datetime | None) -> str:
    return f"{by}，{_when(at)}" if by else "—"


def _change_row(doc: Document, c: StatementChange) -> tuple[str, ...]:
    kind = "重新核算（未付款，已更新）" if c.kind == "recomputed" else "调整（已付款，另行结清）"
    lines = "；".join(
        f"{d['period']} {d['section']}: {doc.name(d['old_payer'])} {d['old_amount']} 元"
        f"（{STATUS_NAMES.get(d['old_status'], d['old_status']) if d['old_status'] else '无'}）"
        f"→ {doc.name(d['new_payer'])} {d['new_amount']} 元"
        f"（{STATUS_NAMES.get(d['new_status'], d['new_status'])}）" for d in c.lines)
    settled = f"{c.settled_on.isoformat()} 凭证号 {c.voucher_no}" if c.settled_on else ""
    return (_when(c.created_at), kind,
            f"{doc.name(c.old_payer_code)} 付 {yuan(c.old_amount)} 元（{in_words(c.old_amount)}）",
            f"{doc.name(c.new_payer_code)} 付 {yuan(c.new_amount)} 元（{in_words(c.new_amount)}）",
            f"{doc.name(c.payer_code)} 付 {doc.name(c.payee_code)} {yuan(c.amount)} 元"
            f"（{in_words(c.amount)}）",
            CHANGE_STATE_NAMES.get(c.state, c.state) + (f"（{settled}）" if settled else ""),
            lines)


CHANGE_HEADERS = ("时间", "类型", "原净额", "新净额", "差额", "状态", "变动明细")
LEFT_OUT_HEADERS = ("月份", "未计入的原因")
LEFT_OUT_TITLE = "本年度未计入金额的月份及原因"
HISTORY_HEADERS = ("时间", "经办事项", "办后状态", "代表", "经办人", "金额（元）", "说明")
HISTORY_TITLE = "经办记录"
PDF_HISTORY_HEADERS = ("时间", "经办事项", "办前状态", "办后状态", "代表", "经办人", "金额（元）",
                       "说明（理由）")


def document(session: Session, statement_id: int) -> Document:
    statement = ledger.get_statement(session, statement_id)
    terms = ledger.series_terms(session, statement.series)
    names = {p.code: p.name for _v, a in terms for p in a.parties}
    orgs = ledger.finance_bureaus(session, names)
    bureaus = {code: orgs[code].name if code in orgs else f"{name}财政部门"
               for code, name in names.items()}
    used = {ln.agreement_version_id for ln in statement.lines}
    agreements = [f"{a.id} 第{v.version_no}版：{a.title}（{version_label(a.version)}）"
                  for v, a in terms if v.id in used] or [a.title for _v, a in terms]
    title = f"{terms[0][1].title.split('（')[0]} {statement.year} 年度结算单"
    return Document(title, statement, names, bureaus, agreements,
                    ledger.left_out_months(session, statement),
                    ledger.history(session, statement.id))


# ---- Excel ---------------------------------------------------------------------------------


def statement_xlsx(session: Session, statement_id: int) -> bytes:
    doc = document(session, statement_id)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has a sheet
    ws.title = "结算单"
    set_cell(ws, 1, 1, doc.title)
    ws["A1"].font = Font(size=14, bold=True)
    row = 3
    for label, value in doc.header_rows():
        set_cell(ws, row, 1, label).font = Font(bold=True)
        set_cell(ws, row, 2, value)
        row += 1
    set_cell(ws, 3 + [k for k, _v in doc.header_rows()].index("净额（元）"), 2,
             doc.statement.amount).number_format = "#,##0.00"
    row += 1
    header_row = row
    for col, name in enumerate(HEADERS, 1):
        set_cell(ws, row, col, name).font = Font(bold=True)
    for ln, values in zip(doc.statement.lines, doc.line_rows(), strict=True):
        row += 1
        for col, value in enumerate(values, 1):
            cell = set_cell(ws, row, col, value)
            if col == 11:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        set_cell(ws, row, 9, ln.amount).number_format = "#,##0.00"
    row += 2
    s = doc.statement
    payer, payee = doc.name(s.payer_code), doc.name(s.payee_code)
    totals: list[tuple[str, Decimal]] = [(f"{payer}→{payee}", s.gross_payer_to_payee),
                                         (f"{payee}→{payer}", s.gross_payee_to_payer),
                                         ("净额", s.amount)]
    for total_label, total in totals:
        set_cell(ws, row, 8, total_label).font = Font(bold=True)
        set_cell(ws, row, 9, total).number_format = "#,##0.00"
        set_cell(ws, row, 10, in_words(total))
        row += 1
    set_cell(ws, row, 1, doc.net_text)
    set_cell(ws, row + 1, 1, doc.net_words)
    row += 3
    set_cell(ws, row, 1, LEFT_OUT_TITLE).font = Font(bold=True)
    for col, name in enumerate(LEFT_OUT_HEADERS, 1):
        set_cell(ws, row + 1, col, name).font = Font(bold=True)
    row += 1
    for values in doc.left_out_rows() or [("—", "本年度每个月都已计入")]:
        row += 1
        for col, value in enumerate(values, 1):
            set_cell(ws, row, col, value)
    for letter, width in zip("ABCDEFGHIJK", (10, 10, 10, 14, 8, 18, 10, 10, 16, 12, 90),
                             strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    changes = wb.create_sheet("重新核算与调整")
    for col, name in enumerate(CHANGE_HEADERS, 1):
        set_cell(changes, 1, col, name).font = Font(bold=True)
    for r, values in enumerate(doc.change_rows(), 2):
        for col, value in enumerate(values, 1):
            set_cell(changes, r, col, value)
    events = wb.create_sheet(HISTORY_TITLE)
    for col, name in enumerate(HISTORY_HEADERS, 1):
        set_cell(events, 1, col, name).font = Font(bold=True)
    for r, values in enumerate(doc.history_rows(), 2):
        for col, value in enumerate(values, 1):
            set_cell(events, r, col, value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---- PDF -----------------------------------------------------------------------------------


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.cell(0, 8, f"{self.footer_text}  第 {self.page_no()} 页 / 共 {{nb}} 页",
                  align="C")


def statement_pdf(session: Session, statement_id: int) -> bytes:
    doc = document(session, statement_id)
    pdf = _Pdf(orientation="L", unit="mm", format="A4")
    pdf.footer_text = doc.title
    pdf.set_title(doc.title)
    pdf.set_creator("coopzone")
    pdf.add_font(FONT_FAMILY, fname=str(font_path()))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, size=15)
    pdf.cell(0, 10, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, size=9)
    plain = FontFace(family=FONT_FAMILY, emphasis="", fill_color=(238, 241, 245))
    with pdf.table(col_widths=(30, 237), first_row_as_headings=False, line_height=5,
                   wrapmode=WrapMode.CHAR, text_align="LEFT") as table:
        for label, value in doc.header_rows():
            row = table.row()
            row.cell(label, style=plain)
            row.cell(value)
    pdf.ln(4)
    pdf.set_font(FONT_FAMILY, size=8)
    widths = (14, 14, 13, 20, 9, 22, 14, 14, 22, 15, 110)
    with pdf.table(col_widths=widths, headings_style=plain, line_height=4.2,
                   wrapmode=WrapMode.CHAR, text_align="LEFT", repeat_headings=1) as table:
        table.row(HEADERS)
        for values in doc.line_rows():
            table.row(values)
    if doc.left_out:
        pdf.ln(4)
        pdf.set_font(FONT_FAMILY, size=11)
        pdf.cell(0, 7, LEFT_OUT_TITLE, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT_FAMILY, size=8)
        with pdf.table(col_widths=(24, 243), headings_style=plain, line_height=4.2,
                       wrapmode=WrapMode.CHAR, text_align="LEFT") as table:
            table.row(LEFT_OUT_HEADERS)
            for left_out in doc.left_out_rows():
                table.row(left_out)
    if doc.statement.changes:
        pdf.ln(4)
        pdf.set_font(FONT_FAMILY, size=11)
        pdf.cell(0, 7, "重新核算与调整", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT_FAMILY, size=8)
        with pdf.table(col_widths=(24, 30, 30, 30, 40, 24, 89), headings_style=plain,
                       line_height=4.2, wrapmode=WrapMode.CHAR, text_align="LEFT") as table:
            table.row(CHANGE_HEADERS)
            for values in doc.change_rows():
                table.row(values)
    if doc.history:
        pdf.ln(4)
        pdf.set_font(FONT_FAMILY, size=11)
        pdf.cell(0, 7, HISTORY_TITLE, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT_FAMILY, size=8)
        with pdf.table(col_widths=(26, 34, 30, 30, 14, 24, 55, 54), headings_style=plain,
                       line_height=4.2, wrapmode=WrapMode.CHAR, text_align="LEFT",
                       repeat_headings=1) as table:
            table.row(PDF_HISTORY_HEADERS)
            for values in doc.history_table():
                table.row(values)
    pdf.ln(4)
    pdf.set_font(FONT_FAMILY, size=9)
    pdf.multi_cell(0, 5, f"{doc.net_text}；{doc.net_words}。本结算单由 coopzone 依据已入库的"
                   "监测数据按协议条款自动核算，每一行均列出计算过程。", wrapmode=WrapMode.CHAR)
    signatures = "    ".join(f"{b}（盖章）：________  日期：________"
                             for b in doc.bureaus.values())
    pdf.ln(3)
    pdf.multi_cell(0, 6, signatures, wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())


def filename(statement: Statement, ext: str) -> str:
    return f"compensation-{statement.series}-{statement.year}-{statement.id}.{ext}"

