"""The ledger is a service: importing it brings in no command-line or web code (the
evaluation → settlement adapter lives in ``coopzone.ecology.settlement_adapter``)."""

from __future__ import annotations

import subprocess
import sys


def test_the_ecology_ledger_imports_no_cli_or_web_code() -> None:
    code = ("import sys, coopzone.ecology.ledger\n"
            "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'typer', 'rich', 'fastapi', 'starlette'})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == ""
