"""Lists -> Excel workbooks: moved to :mod:`coopzone.kit.exporting` (one module writes every
list). The agreements sheet uses the import headers, so an exported workbook imports again
unchanged."""

from __future__ import annotations

from coopzone.kit.exporting import CellValue as Cell
from coopzone.kit.exporting import workbook

__all__ = ["Cell", "workbook"]
