"""Fill msgstr entries of a .po catalogue from a TSV of `english<TAB>translation` lines.

Usage: python tools/i18n_fill.py src/coopzone/web/locale/zh_CN/LC_MESSAGES/messages.po FILE.tsv
Existing translations are kept unless the TSV gives a new one.
"""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, tsv_path: str) -> None:
    with open(po_path, "rb") as handle:
        catalog = read_po(handle)
    with open(tsv_path, encoding="utf-8") as handle:
        pairs = dict(line.rstrip("\n").split("\t", 1) for line in handle if "\t" in line)
    for message in catalog:
        if message.id and message.id in pairs:
            message.string = pairs[message.id]
    with open(po_path, "wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
