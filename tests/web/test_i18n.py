from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

import coopzone
from coopzone.web.i18n import translations

SRC = Path(coopzone.__file__).parent
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def test_every_ui_string_has_a_chinese_translation() -> None:
    zh = translations("zh_CN")
    ids = {m[2] for m in extract_from_dir(str(SRC), METHODS) if isinstance(m[2], str)}
    assert len(ids) > 20
    missing = sorted(i for i in ids if zh.gettext(i) == i)
    assert missing == []


def test_english_is_the_message_id_and_chinese_differs() -> None:
    assert translations("en").gettext("Log in") == "Log in"
    assert translations("zh_CN").gettext("Log in") == "登录"
