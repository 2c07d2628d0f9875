"""The portal's one message catalogue: gettext .po files (locale/<lang>/LC_MESSAGES/*.po, one per part) read at start
with Babel, no compile step. Message ids are symbolic (`apply.title`), so a text missing in one language is seen
(a test checks every id has both) instead of silently showing the other language's words."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# page language -> folder of its catalogue; the first is the default
LANGUAGES = {"zh-CN": "zh_CN", "en": "en"}
DEFAULT = "zh-CN"
COOKIE = "lang"


def pick(query: str | None, cookie: str | None) -> str:
    """The page language: `?lang=` first, then the cookie, then zh-CN."""
    for value in (query, cookie):
        if value in LANGUAGES:
            return value
    return DEFAULT


def catalogue_files(folder: str) -> list[Path]:
    """Every .po file of a language (messages.po for the citizen's pages, one per area of the staff side), so each
    part of the portal keeps its own texts; an id defined in two files is an error, not a silent override."""
    return sorted((LOCALE_DIR / folder / "LC_MESSAGES").glob("*.po"))


def read_messages(folder: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for path in catalogue_files(folder):
        with open(path, "rb") as f:
            catalog = read_po(f)
        for m in catalog:
            if m.id and isinstance(m.id, str):
                if m.id in messages:
                    raise ValueError(f"message id {m.id!r} is defined twice in the {folder} catalogue ({path.name})")
                messages[m.id] = m.string
    return messages


@dataclass
class Catalogue:
    messages: dict[str, dict[str, str]]  # lang -> id -> text

    def gettext(self, lang: str):
        table = self.messages[lang]

        def _(message_id: str, **values) -> str:
            text = table.get(message_id) or message_id  # an unknown id shows itself: visible, and a test fails
            return text.format(**values) if values else text
        return _

    def pick_text(self, lang: str, en: str | None, zh: str | None) -> str:
        """A service's bilingual answer (en/zh fields) in the page language."""
        return (zh if lang == "zh-CN" else en) or en or zh or ""


def load_catalogue() -> Catalogue:
    return Catalogue({lang: read_messages(folder) for lang, folder in LANGUAGES.items()})



def china_minutes(moment: str | None) -> str:
    """An ISO timestamp from a service (UTC with an offset) as the China time a person reads: "2026-12-02 10:32"."""
    from datetime import datetime

    from shared.clock import china_time
    if not moment:
        return ""
    try:
        parsed = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return str(moment)[:16].replace("T", " ")
    return (china_time(parsed) if parsed.tzinfo else parsed).strftime("%Y-%m-%d %H:%M")
