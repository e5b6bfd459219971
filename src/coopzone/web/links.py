"""Where a figure's records are shown: the page and API layers turn a stored provenance
(entity, ids, keys, filter parameters) into a link. Services build no URLs.

Add an entity here when a service starts computing figures from a new kind of record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

Builder = Callable[[Mapping[str, str], list[Any]], str]


def _query(path: str, params: Mapping[str, str], keep: tuple[str, ...] | None = None) -> str:
    wanted = {k: v for k, v in params.items() if v not in (None, "")
              and (keep is None or k in keep)}
    return f"{path}?{urlencode(wanted)}" if wanted else path


def _statements(params: Mapping[str, str], ids: list[Any]) -> str:
    if len(ids) == 1:
        return f"/ecology/compensation/{int(ids[0])}"
    return "/ecology/compensation"


ENTITIES: dict[str, Builder] = {
    "cooperation_agreement": lambda p, _ids: _query("/cooperation/agreements", p),
    "cooperation_meeting": lambda p, _ids: _query("/cooperation/meetings", p),
    "cooperation_project": lambda p, _ids: _query("/cooperation/projects", p),
    "cooperation_task": lambda p, _ids: _query("/cooperation/tasks", p),
    "cooperation_indicator": lambda p, _ids: "/cooperation/indicators/" + quote(
        p.get("code", ""), safe=""),
    # A section's months: its page, at the monthly table.
    "ecology_month": lambda p, _ids: "/ecology/sections/" + quote(
        p.get("section", ""), safe="") + "#monthly" if p.get("section") else "/ecology",
    # The sections of a basin in one month.
    "ecology_basin_month": lambda p, _ids: "/ecology/basins/" + quote(
        p.get("basin", ""), safe="") + "#basin-months" if p.get("basin") else "/ecology",
    "ecology_statement": _statements,
    # 跨省通办 (gov_services): the agreements, a case search, the statistics by month.
    "gov_services_kstb_agreement": lambda p, _ids: _query("/services/agreements", p),
    "gov_services_case": lambda p, _ids: _query("/services/search", p),
    "gov_services_statistics": lambda p, _ids: _query("/services/statistics", p),
}


def record_link(provenance: Mapping[str, Any] | None) -> str:
    """The page listing the records a value was computed from ("" when unknown)."""
    if not provenance:
        return ""
    builder = ENTITIES.get(str(provenance.get("entity") or ""))
    if builder is None or ("params" not in provenance and provenance.get("link")):
        # Values stored before provenance carried parameters kept the link itself.
        return str(provenance.get("link") or "")
    params = {str(k): str(v) for k, v in (provenance.get("params") or {}).items()}
    return builder(params, list(provenance.get("ids") or []))


def record_count(provenance: Mapping[str, Any] | None) -> int:
    """How many records a value was computed from (rows with ids and keyed records)."""
    if not provenance:
        return 0
    if provenance.get("count") is not None:  # too many to list: counted by the filter
        return int(provenance["count"])
    return len(provenance.get("ids") or []) + len(provenance.get("keys") or [])
