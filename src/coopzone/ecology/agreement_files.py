"""Load and validate eco-compensation agreement files (TOML, see agreements/FORMAT.md).

``load_agreement(path)`` and ``parse_agreement(text)`` return the engine's ``Agreement``;
every problem found is collected as (line, field path, reason) and raised together as one
``AgreementInvalid``. ``load_agreements(spec)`` resolves what a user typed: a built-in id
(``lushui-2019``), a series (``lushui`` = every built-in round), a path, or a comma list.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from coopzone.engines.eco_compensation_terms import (
    CLASS_NAMES,
    Agreement,
    ClassBetRule,
    ClassStepRule,
    Evaluation,
    Flow,
    FundSegment,
    IndexChangeRule,
    IndexThresholdRule,
    ItemPenaltyRule,
    MissingPolicy,
    Party,
    PenaltySegment,
    PooledFundRule,
    Round,
    Rounding,
    Rule,
    Section,
    SettlementTerms,
    SourceFigure,
    SourceNotes,
    Transfer,
)
from coopzone.engines.water_quality_gb3838 import ITEMS
from coopzone.errors import InvalidInput, NotFound, RowError

BUILTIN_DIR = Path(__file__).parent / "agreements"
SOURCE_LABELS = ("verified", "verified-secondary", "unverified", "assumed", "illustrative")
ITEM_CODES = frozenset(item.code for item in ITEMS)
_CLASS_WORDS = {name: i + 1 for i, name in enumerate(CLASS_NAMES)} | {
    "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "劣Ⅴ": 6, "VI": 6,
}


class AgreementInvalid(InvalidInput):
    """An agreement file was refused; ``errors`` holds (row = line or None, column = field
    path, reason) for every problem found."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        self.source = source
        lines = [f"  {_where(e)}: {e.reason}" for e in errors]
        super().__init__(f"{source}: invalid agreement\n" + "\n".join(lines), errors)


def _where(error: RowError) -> str:
    line = f"line {error.row}, " if error.row is not None else ""
    return f"{line}{error.column or '(file)'}"


class _Bad(Exception):
    """A value refused by a field parser; the reason goes into the error list."""


# --- where in the file: field path → line --------------------------------------------------

_AOT = re.compile(r"^\[\[\s*([^\]]+?)\s*\]\]")
_TABLE = re.compile(r"^\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r'^("[^"]*"|[A-Za-z0-9_\-]+)\s*=')


def _line_index(text: str) -> dict[str, int]:
    """Map field paths ("rules[0].amount") to the line that sets them. Approximate: headers
    and ``key =`` lines only, which is where users make their mistakes."""
    index: dict[str, int] = {}
    counts: dict[str, int] = {}
    prefix = ""

    def resolve(keys: list[str]) -> str:
        path = ""
        for key in keys:
            path = f"{path}.{key}" if path else key
            if path in counts:
                path = f"{path}[{counts[path]}]"
        return path

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if match := _AOT.match(line):
            keys = [k.strip().strip('"') for k in match.group(1).split(".")]
            base = resolve(keys[:-1])
            base = f"{base}.{keys[-1]}" if base else keys[-1]
            counts[base] = counts.get(base, -1) + 1
            prefix = f"{base}[{counts[base]}]"
            index.setdefault(base, number)
            index.setdefault(prefix, number)
        elif match := _TABLE.match(line):
            prefix = resolve([k.strip().strip('"') for k in match.group(1).split(".")])
            index.setdefault(prefix, number)
        elif match := _KEY.match(line):
            key = match.group(1).strip('"')
            index.setdefault(f"{prefix}.{key}" if prefix else key, number)
    return index


def _line_of(index: Mapping[str, int], path: str) -> int | None:
    """The line of a path, or of its nearest parent that has one."""
    while path:
        if path in index:
            return index[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


# --- value parsers --------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("must be a non-empty string")
    return value.strip()


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _Bad("must be a number")
    if isinstance(value, float):
        return Decimal(str(value))  # the shortest repr is what the user typed in TOML
    if isinstance(value, int | str):
        try:
            result = Decimal(str(value).replace(",", "").replace("_", ""))
        except InvalidOperation:
            raise _Bad(f"{value!r} is not a number") from None
        if result.is_finite():
            return result
    raise _Bad(f"{value!r} is not a number")


def _positive(value: Any) -> Decimal:
    result = _number(value)
    if result <= 0:
        raise _Bad(f"must be greater than 0, got {result}")
    return result


def _money(value: Any) -> Decimal:
    """Yuan as an integer or a decimal string; floats would carry binary noise into money."""
    if isinstance(value, float):
        raise _Bad('money must be an integer or a string of yuan (e.g. "1000000"), not a float')
    result = _number(value)
    if result < 0:
        raise _Bad(f"money cannot be negative, got {result}")
    if result.as_tuple().exponent < -2:  # type: ignore[operator]
        raise _Bad(f"money has at most 2 decimal places (fen), got {result}")
    return result


def _water_class(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 6:
        return value
    if isinstance(value, str) and value.strip() in _CLASS_WORDS:
        return _CLASS_WORDS[value.strip()]
    raise _Bad(f'{value!r} is not a water class: use 1..6 or "I".."V", "劣V"')


def _choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in allowed:
            raise _Bad(f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)

    return parse


def _item(value: Any) -> str:
    if value not in ITEM_CODES:
        raise _Bad(f"{value!r} is not a GB 3838 item code (e.g. codmn, cod, nh3n, tp, tn)")
    return str(value)


def _month_start(value: Any) -> date:
    return _date(value, end=False)


def _month_end(value: Any) -> date:
    return _date(value, end=True)


def _date(value: Any, end: bool) -> date:
    """A TOML date, "YYYY-MM-DD" or "YYYY-MM" (first or last day of that month)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            first = date(int(value[:4]), int(value[5:]), 1)
            return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(
                days=1
            ) if end else first
    raise _Bad(f'{value!r} is not a date: use 2019-07-01 or "2019-07"')


# --- the reader: one per file, collects errors ----------------------------------------------


@dataclass
class _Reader:
    index: Mapping[str, int]
    errors: list[RowError] = field(default_factory=list)
    parties: frozenset[str] = frozenset()
    sections: frozenset[str] = frozenset()

    def error(self, path: str, reason: str) -> None:
        self.errors.append(RowError(_line_of(self.index, path), path, reason))

    def get(
        self, table: Mapping[str, Any], key: str, path: str, parse: Callable[[Any], Any],
        default: Any = ...,
    ) -> Any:
        """Parse ``table[key]``; record an error and return None when missing or bad."""
        where = f"{path}.{key}" if path else key
        if key not in table:
            if default is ...:
                self.error(where, "is required")
                return None
            return default
        try:
            return parse(table[key])
        except _Bad as bad:
            self.error(where, str(bad))
            return None

    def table(self, value: Any, path: str) -> Mapping[str, Any]:
        if isinstance(value, dict):
            return value
        self.error(path, "must be a table")
        return {}

    def tables(self, data: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
        """An array of tables (``[[key]]``), required and non-empty."""
        where = f"{path}.{key}" if path else key
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.error(where, f"is required: at least one [[{key}]] table")
            return []
        return [self.table(v, f"{where}[{i}]") for i, v in enumerate(value)]

    def unknown(self, table: Mapping[str, Any], known: Iterable[str], path: str) -> None:
        allowed = set(known)
        for key in table:
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                self.error(where, f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def party(self, value: Any) -> str:
        if value not in self.parties:
            raise _Bad(f"{value!r} is not a party id (parties: {', '.join(sorted(self.parties))})")
        return str(value)

    def section(self, value: Any) -> str:
        if value not in self.sections:
            raise _Bad(f"{value!r} is not a declared section ({', '.join(sorted(self.sections))})")
        return str(value)

    def flow(self, value: Any, path: str) -> Flow | None:
        table = self.table(value, path)
        self.unknown(table, ("payer", "payee"), path)
        payer = self.get(table, "payer", path, self.party)
        payee = self.get(table, "payee", path, self.party)
        if payer is None or payee is None:
            return None
        if payer == payee:
            self.error(f"{path}.payee", "payer and payee must differ")
            return None
        return Flow(payer, payee)

    def mapping(
        self, value: Any, path: str, key: Callable[[Any], str], parse: Callable[[Any], Decimal]
    ) -> dict[str, Decimal]:
        result: dict[str, Decimal] = {}
        table = self.table(value, path)
        if not table:
            self.error(path, "must not be empty")
        for name, raw in table.items():
            try:
                result[key(name)] = parse(raw)
            except _Bad as bad:
                self.error(f"{path}.{name}", str(bad))
        return result


# --- rules ----------------------------------------------------------------------------------

FieldParse = Callable[[_Reader, Any, str], Any]


@dataclass(frozen=True)
class _Field:
    name: str  # dataclass field
    key: str  # TOML key
    parse: FieldParse
    required: bool = True


def _plain(parse: Callable[[Any], Any]) -> FieldParse:
    return lambda _r, value, _path: parse(value)


def _flow(r: _Reader, value: Any, path: str) -> Flow | None:
    return r.flow(value, path)


def _section(r: _Reader, value: Any, _path: str) -> str:
    return r.section(value)


def _items_list(_r: _Reader, value: Any, _path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _Bad("must be a non-empty list of item codes")
    return tuple(_item(v) for v in value)


def _item_map(parse: Callable[[Any], Decimal]) -> FieldParse:
    return lambda r, value, path: r.mapping(value, path, _item, parse)


def _party_map(r: _Reader, value: Any, path: str) -> dict[str, Decimal]:
    return r.mapping(value, path, r.party, _positive)


def _by_class(r: _Reader, value: Any, path: str) -> dict[int, Transfer | None]:
    """[[rules.by_class]] rows: classes = [...], payer, payee, amount; each class 1..6 once."""
    if not isinstance(value, list) or not value:
        raise _Bad("must be a list of tables with classes, payer, payee, amount")
    table: dict[int, Transfer | None] = {}
    for i, raw in enumerate(value):
        row, where = r.table(raw, f"{path}[{i}]"), f"{path}[{i}]"
        r.unknown(row, ("classes", "payer", "payee", "amount"), where)
        classes = r.get(row, "classes", where, _class_list)
        amount = r.get(row, "amount", where, _money)
        transfer = None
        if amount:  # a zero row needs no payer or payee
            flow = r.flow({k: row[k] for k in ("payer", "payee") if k in row}, where)
            transfer = Transfer(flow.payer, flow.payee, amount) if flow else None
        for cls in classes or ():
            if cls in table:
                r.error(f"{where}.classes", f"class {CLASS_NAMES[cls - 1]} is listed twice")
            table[cls] = transfer
    missing = [CLASS_NAMES[c - 1] for c in range(1, 7) if c not in table]
    if missing:
        r.error(path, f"classes {', '.join(missing)} have no row; list every class I..劣V")
    return table


def _class_list(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise _Bad("must be a non-empty list of water classes")
    return tuple(_water_class(v) for v in value)


def _fund_segments(r: _Reader, value: Any, path: str) -> tuple[FundSegment, ...]:
    known = ("section", "target_class", "owner", "redistribute")
    segments = []
    for i, row in enumerate(_rows(r, value, path, known)):
        where = f"{path}[{i}]"
        parts = (
            r.get(row, "section", where, r.section),
            r.get(row, "target_class", where, _water_class),
            r.get(row, "owner", where, r.party),
            _party_map(r, row.get("redistribute"), f"{where}.redistribute"),
        )
        if None not in parts:
            segments.append(FundSegment(*parts))
    return tuple(segments)


def _penalty_segments(r: _Reader, value: Any, path: str) -> tuple[PenaltySegment, ...]:
    segments = []
    for i, row in enumerate(_rows(r, value, path, ("section", "payer", "payee"))):
        where = f"{path}[{i}]"
        section = r.get(row, "section", where, r.section)
        flow = r.flow({k: row[k] for k in ("payer", "payee") if k in row}, where)
        if section is not None and flow is not None:
            segments.append(PenaltySegment(section, flow.payer, flow.payee))
    return tuple(segments)


def _rows(
    r: _Reader, value: Any, path: str, known: Iterable[str]
) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not value:
        raise _Bad("must be a non-empty list of tables")
    rows = [r.table(v, f"{path}[{i}]") for i, v in enumerate(value)]
    for i, row in enumerate(rows):
        r.unknown(row, known, f"{path}[{i}]")
    return rows


_CAP = _Field("cap", "cap", _plain(_money), required=False)
_SPECS: dict[str, tuple[type, tuple[_Field, ...]]] = {
    "class_bet": (ClassBetRule, (
        _Field("section", "section", _section),
        _Field("target_class", "target_class", _plain(_water_class), required=False),
        _Field("amount", "amount", _plain(_money), required=False),
        _Field("pass_", "pass", _flow, required=False),
        _Field("fail", "fail", _flow, required=False),
        _Field("by_class", "by_class", _by_class, required=False),
        _CAP,
    )),
    "class_step": (ClassStepRule, (
        _Field("section", "section", _section),
        _Field("target_class", "target_class", _plain(_water_class), required=False),
        _Field("amount_per_step", "amount_per_step", _plain(_money)),
        _Field("better", "better", _flow),
        _Field("worse", "worse", _flow),
        _CAP,
    )),
    "index_change": (IndexChangeRule, (
        _Field("section", "section", _section),
        _Field("items", "items", _items_list),
        _Field("reference", "reference", _item_map(_positive)),
        _Field("rate_per_point", "rate_per_point", _plain(_money)),
        _Field("improve", "improve", _flow),
        _Field("worsen", "worsen", _flow),
        _Field("change", "change", _plain(_choice("relative", "absolute")), required=False),
        _CAP,
    )),
    "index_threshold": (IndexThresholdRule, (
        _Field("section", "section", _section),
        _Field("k0", "k0", _plain(_positive)),
        _Field("weights", "weights", _item_map(_positive)),
        _Field("baseline", "baseline", _item_map(_positive)),
        _Field("amount", "amount", _plain(_money)),
        _Field("pass_", "pass", _flow),
        _Field("fail", "fail", _flow),
        _Field("threshold", "threshold", _plain(_positive), required=False),
        _CAP,
    )),
    "pooled_fund": (PooledFundRule, (
        _Field("total", "total", _plain(_money)),
        _Field("contributions", "contributions", _party_map),
        _Field("allocations", "allocations", _party_map),
        _Field("segments", "segments", _fund_segments),
        _CAP,
    )),
    "item_penalty": (ItemPenaltyRule, (
        _Field("amount_per_item", "amount_per_item", _plain(_money)),
        _Field("limits", "limits", _item_map(_positive)),
        _Field("segments", "segments", _penalty_segments),
        _CAP,
    )),
}


def _rule_fields(
    r: _Reader, specs: tuple[_Field, ...], table: Mapping[str, Any], path: str, partial: bool
) -> dict[str, Any] | None:
    """Parse the fields of one rule (or, ``partial``, of a round's overrides for it)."""
    extra = () if partial else ("id", "kind")
    r.unknown(table, [s.key for s in specs] + list(extra), path)
    values: dict[str, Any] = {}
    ok = True
    for spec in specs:
        where = f"{path}.{spec.key}"
        if spec.key not in table:
            if spec.required and not partial:
                r.error(where, "is required")
                ok = False
            continue
        before = len(r.errors)
        try:
            value = spec.parse(r, table[spec.key], where)
        except _Bad as bad:
            r.error(where, str(bad))
            value = None
        if value is None or len(r.errors) > before:
            ok = False
            continue
        values[spec.name] = value
    return values if ok else None


def _check_rule(r: _Reader, kind: str, values: dict[str, Any], path: str) -> None:
    """Cross-field checks that a single field parser cannot see."""
    if kind == "class_bet" and "by_class" not in values:
        for name, key in (("amount", "amount"), ("pass_", "pass"), ("fail", "fail")):
            if name not in values:
                r.error(f"{path}.{key}", "is required unless by_class gives a per-class table")
    if kind == "index_change":
        lacking = [i for i in values["items"] if i not in values["reference"]]
        if lacking:
            r.error(f"{path}.reference", f"needs a reference value for {', '.join(lacking)}")
    if kind == "index_threshold" and set(values["weights"]) != set(values["baseline"]):
        r.error(f"{path}.baseline", "must name exactly the items of weights")


def _rule(r: _Reader, table: Mapping[str, Any], path: str, target: int) -> Rule | None:
    rule_id = r.get(table, "id", path, _text)
    kind = r.get(table, "kind", path, _choice(*_SPECS))
    if kind is None:
        return None
    cls, specs = _SPECS[kind]
    values = _rule_fields(r, specs, table, path, partial=False)
    if values is None or rule_id is None:
        return None
    before = len(r.errors)
    _check_rule(r, kind, values, path)
    if len(r.errors) > before:
        return None
    if kind in ("class_bet", "class_step"):
        values.setdefault("target_class", target)
    rule: Rule = cls(id=rule_id, **values)
    return rule


# --- the agreement --------------------------------------------------------------------------

_TOP = (
    "id", "title", "version", "series", "missing_data", "rounding", "parties", "sections",
    "evaluation", "rounds", "rules", "settlement", "source",
)


def _parties(r: _Reader, data: Mapping[str, Any]) -> tuple[Party, ...]:
    parties: list[Party] = []
    for i, row in enumerate(r.tables(data, "parties", "")):
        path = f"parties[{i}]"
        r.unknown(row, ("id", "name", "code", "role"), path)
        values = (
            r.get(row, "id", path, _slug),
            r.get(row, "name", path, _text),
            r.get(row, "code", path, _division_code),
            r.get(row, "role", path, _choice("upstream", "downstream", "contributor")),
        )
        if values[0] in {p.id for p in parties}:
            r.error(f"{path}.id", f"duplicate party id {values[0]!r}")
        elif None not in values:
            parties.append(Party(*values))
    if len(parties) < 2 and not r.errors:
        r.error("parties", "an agreement needs at least two parties")
    return tuple(parties)


def _slug(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_\-]*", value):
        raise _Bad(f"{value!r} must be lower-case letters, digits, '-' or '_'")
    return value


def _division_code(value: Any) -> str:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{6}", text):
        raise _Bad(f"{value!r} is not a 6-digit administrative division code (e.g. 430000)")
    return text


def _sections(r: _Reader, data: Mapping[str, Any]) -> tuple[Section, ...]:
    sections: list[Section] = []
    for i, row in enumerate(r.tables(data, "sections", "")):
        path = f"sections[{i}]"
        r.unknown(row, ("name", "aliases"), path)
        name = r.get(row, "name", path, _text)
        aliases = r.get(row, "aliases", path, _text_list, default=())
        if name in {s.name for s in sections}:
            r.error(f"{path}.name", f"duplicate section {name!r}")
        elif name is not None and aliases is not None:
            sections.append(Section(name, aliases))
    return tuple(sections)


def _text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Bad("must be a list of strings")
    return tuple(_text(v) for v in value)


def _evaluation(r: _Reader, data: Mapping[str, Any]) -> Evaluation | None:
    table = r.table(data.get("evaluation"), "evaluation") if "evaluation" in data else None
    if table is None:
        r.error("evaluation", "is required: an [evaluation] table")
        return None
    r.unknown(table, ("period", "items", "method", "water_body", "target_class"), "evaluation")
    values = (
        r.get(table, "period", "evaluation", _choice("month", "year")),
        r.get(table, "items", "evaluation", _item_tuple, default=()),
        r.get(table, "method", "evaluation", _choice("gb3838-single-factor"),
              default="gb3838-single-factor"),
        r.get(table, "water_body", "evaluation", _choice("river", "lake"), default="river"),
        r.get(table, "target_class", "evaluation", _water_class, default=3),
    )
    return Evaluation(*values) if None not in values else None


def _item_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Bad("must be a list of item codes ([] = every graded item)")
    return tuple(_item(v) for v in value)


def _rules(r: _Reader, data: Mapping[str, Any], target: int) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for i, row in enumerate(r.tables(data, "rules", "")):
        rule = _rule(r, row, f"rules[{i}]", target)
        if rule is not None and rule.id in {x.id for x in rules}:
            r.error(f"rules[{i}].id", f"duplicate rule id {rule.id!r}")
        elif rule is not None:
            rules.append(rule)
    return tuple(rules)


def _rounds(r: _Reader, data: Mapping[str, Any], rules: tuple[Rule, ...]) -> tuple[Round, ...]:
    rounds: list[Round] = []
    for i, row in enumerate(r.tables(data, "rounds", "")):
        path = f"rounds[{i}]"
        r.unknown(row, ("id", "start", "end", "overrides", "note"), path)
        rid = r.get(row, "id", path, _text)
        start = r.get(row, "start", path, _month_start)
        end = r.get(row, "end", path, _month_end)
        overrides = _overrides(r, row.get("overrides", {}), f"{path}.overrides", rules)
        if start is not None and end is not None and start > end:
            r.error(f"{path}.end", f"ends ({end}) before it starts ({start})")
        elif rid is not None and start is not None and end is not None:
            _check_overlap(r, rounds, start, end, path)
            rounds.append(Round(rid, start, end, overrides))
    return tuple(rounds)


def _check_overlap(r: _Reader, rounds: list[Round], start: date, end: date, path: str) -> None:
    for other in rounds:
        if start <= other.end and other.start <= end:
            r.error(f"{path}.start", f"overlaps round {other.id} ({other.start}..{other.end})")


def _overrides(
    r: _Reader, value: Any, path: str, rules: tuple[Rule, ...]
) -> dict[str, dict[str, Any]]:
    """``[rounds.overrides.<rule id>]``: new values for that rule's fields in this round."""
    result: dict[str, dict[str, Any]] = {}
    by_id = {rule.id: rule for rule in rules}
    for rule_id, table in r.table(value, path).items():
        where = f"{path}.{rule_id}"
        if rule_id not in by_id:
            r.error(where, f"no rule with id {rule_id!r}")
            continue
        specs = _SPECS[by_id[rule_id].kind][1]
        values = _rule_fields(r, specs, r.table(table, where), where, partial=True)
        if values:
            result[rule_id] = values
    return result


def _settlement(r: _Reader, data: Mapping[str, Any], period: str | None) -> SettlementTerms | None:
    if "settlement" not in data:
        r.error("settlement", "is required: a [settlement] table")
        return None
    table, path = r.table(data["settlement"], "settlement"), "settlement"
    r.unknown(table, ("accrual", "settle", "due", "due_year_offset"), path)
    accrual = r.get(table, "accrual", path, _choice("monthly", "yearly"))
    r.get(table, "settle", path, _choice("yearly"), default="yearly")
    due = r.get(table, "due", path, _month_day)
    offset = r.get(table, "due_year_offset", path, _offset, default=1)
    expected = {"month": "monthly", "year": "yearly"}.get(period or "")
    if accrual is not None and expected is not None and accrual != expected:
        r.error(f"{path}.accrual", f"must be {expected!r} for evaluation.period = {period!r}")
    if accrual is None or due is None or offset is None:
        return None
    return SettlementTerms(accrual, due[0], due[1], offset)


def _month_day(value: Any) -> tuple[int, int]:
    if isinstance(value, str) and re.fullmatch(r"\d{2}-\d{2}", value):
        try:
            date(2001, int(value[:2]), int(value[3:]))  # not a leap year: 02-29 is refused
            return int(value[:2]), int(value[3:])
        except ValueError:
            pass
    raise _Bad(f'{value!r} is not a due day: use "MM-DD", e.g. "04-30"')


def _offset(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 5:
        return value
    raise _Bad("must be a whole number of years from 0 to 5")


def _source(r: _Reader, data: Mapping[str, Any]) -> SourceNotes | None:
    if "source" not in data:
        r.error("source", "is required: say where the figures come from and how sure they are")
        return None
    table, path = r.table(data["source"], "source"), "source"
    r.unknown(table, ("label", "summary", "urls", "figures"), path)
    label = r.get(table, "label", path, _choice(*SOURCE_LABELS))
    summary = r.get(table, "summary", path, _text)
    urls = r.get(table, "urls", path, _text_list, default=())
    figures = []
    for i, row in enumerate(table.get("figures", [])):
        where = f"{path}.figures[{i}]"
        row = r.table(row, where)
        r.unknown(row, ("field", "label", "note", "urls"), where)
        values = (
            r.get(row, "field", where, lambda v: _figure_field(data, v)),
            r.get(row, "label", where, _choice(*SOURCE_LABELS)),
            r.get(row, "note", where, _text, default=""),
            r.get(row, "urls", where, _text_list, default=()),
        )
        if None not in values:
            figures.append(SourceFigure(*values))
    if label is None or summary is None or urls is None:
        return None
    return SourceNotes(summary, label, urls, tuple(figures))


def _figure_field(data: Mapping[str, Any], value: Any) -> str:
    """A source note must point at a field that exists, e.g. "rules[0].amount"."""
    path = _text(value)
    node: Any = data
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        try:
            node = node[int(index)] if index else node[name]
        except (KeyError, IndexError, TypeError):
            raise _Bad(f"{path!r} does not name a field of this file") from None
    return path


def parse_agreement(text: str, source: str = "<agreement>") -> Agreement:
    """Parse and validate agreement TOML; raise ``AgreementInvalid`` listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise AgreementInvalid(source, [RowError(line, None, f"not valid TOML: {exc}")]) from None
    r = _Reader(_line_index(text))
    r.unknown(data, _TOP, "")
    head = (
        r.get(data, "id", "", _slug),
        r.get(data, "title", "", _text),
        r.get(data, "version", "", _text_or_int),
        r.get(data, "series", "", _slug, default=None),
        r.get(data, "missing_data", "", _policy),
        r.get(data, "rounding", "", _rounding),
    )
    parties = _parties(r, data)
    sections = _sections(r, data)
    # Refer to every declared id, even of a party refused for another field, so one typo
    # does not cascade into "not a party" errors everywhere.
    r.parties = frozenset(_declared(data, "parties", "id"))
    r.sections = frozenset(_declared(data, "sections", "name"))
    evaluation = _evaluation(r, data)
    rules = _rules(r, data, evaluation.target_class if evaluation else 3)
    rounds = _rounds(r, data, rules)
    settlement = _settlement(r, data, evaluation.period if evaluation else None)
    notes = _source(r, data)
    if r.errors or evaluation is None or settlement is None or notes is None:
        raise AgreementInvalid(source, sorted(r.errors, key=lambda e: (e.row or 0, e.column or "")))
    aid, title, version, series, missing, rounding = head
    return Agreement(
        id=aid, title=title, version=version, parties=parties, sections=sections,
        evaluation=evaluation, rounds=rounds, rules=rules, missing_data=missing,
        rounding=rounding, settlement=settlement, source=notes, series=series,
    )


def _declared(data: Mapping[str, Any], key: str, name: str) -> set[str]:
    rows = data.get(key)
    if not isinstance(rows, list):
        return set()
    return {row[name] for row in rows if isinstance(row, dict) and isinstance(row.get(name), str)}


def _policy(value: Any) -> MissingPolicy:
    return MissingPolicy(_choice(*MissingPolicy)(value))


def _rounding(value: Any) -> Rounding:
    return Rounding(_choice(*Rounding)(value))


def _text_or_int(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def load_agreement(path: Path) -> Agreement:
    """Read and validate one agreement file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgreementInvalid(str(path), [RowError(None, None, f"cannot read: {exc}")]) from None
    return parse_agreement(text, str(path))


# --- built-ins and what the user typed -------------------------------------------------------


def builtin_ids() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def builtin_agreements() -> list[Agreement]:
    return [load_agreement(BUILTIN_DIR / f"{name}.toml") for name in builtin_ids()]


def load_agreements(spec: str) -> list[Agreement]:
    """Resolve ``spec``: comma-separated built-in ids, series names (all rounds of a series,
    oldest first) or paths to TOML files. Refuses agreements whose rounds overlap on a
    shared section, which would count the same months twice."""
    agreements: list[Agreement] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        agreements.extend(_resolve_one(part))
    if not agreements:
        raise NotFound("no agreement given")
    _check_no_double_count(agreements)
    return agreements


def _resolve_one(name: str) -> list[Agreement]:
    path = Path(name)
    if path.suffix == ".toml" or path.is_file():
        if not path.is_file():
            raise NotFound(f"agreement file not found: {name}")
        return [load_agreement(path)]
    if name in builtin_ids():
        return [load_agreement(BUILTIN_DIR / f"{name}.toml")]
    series = [a for a in builtin_agreements() if a.series == name]
    if series:
        return sorted(series, key=lambda a: min(r.start for r in a.rounds))
    known = ", ".join(builtin_ids())
    raise NotFound(f"unknown agreement {name!r}: give a file path or one of {known}")


def _check_no_double_count(agreements: list[Agreement]) -> None:
    errors: list[RowError] = []
    for i, a in enumerate(agreements):
        for b in agreements[i + 1:]:
            shared = {s.name for s in a.sections} & {s.name for s in b.sections}
            overlap = [
                (x, y) for x in a.rounds for y in b.rounds
                if x.start <= y.end and y.start <= x.end
            ]
            if shared and overlap:
                x, y = overlap[0]
                errors.append(RowError(None, "rounds", (
                    f"{a.id} round {x.id} and {b.id} round {y.id} overlap on "
                    f"{', '.join(sorted(shared))}; the same periods would be settled twice"
                )))
    if errors:
        raise AgreementInvalid(", ".join(a.id for a in agreements), errors)
