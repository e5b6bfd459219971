"""The user's language for messages the shared parts write: Chinese by default, English for
an ``en`` locale. No web framework: services, importers and the upload checks use it."""

from __future__ import annotations


def english(locale: str | None) -> bool:
    """Whether ``locale`` asks for English (``en``, ``en_US``, ``en-GB``); else Chinese."""
    return (locale or "").strip().lower().replace("-", "_").split("_")[0] == "en"


def say(locale: str | None, zh: str, en: str) -> str:
    """``en`` for an English locale, else ``zh``."""
    return en if english(locale) else zh
