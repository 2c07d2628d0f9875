"""The one message catalogue: every id has Chinese and English, every id the pages use exists, and no template
carries a user-visible literal that bypasses the catalogue."""
from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from portal import forms
from portal.i18n import LANGUAGES, load_catalogue, read_messages

PACKAGE = Path(forms.__file__).resolve().parent
TEMPLATES = sorted((PACKAGE / "templates").rglob("*.html"))
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)


def used_ids() -> set[str]:
    sources = [p.read_text(encoding="utf-8") for p in TEMPLATES + sorted(PACKAGE.rglob("*.py"))]
    found = {m for text in sources for m in re.findall(r"""_\(\s*["']([a-z0-9_.]+)["']""", text)}
    return {m for m in found if not m.endswith(".")} | set(forms.DYNAMIC_IDS)


def has_words(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


class LiteralText(HTMLParser):
    """Collects text nodes and visible attributes left in a template once its Jinja tags are removed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.found += [f"{tag}[{name}]={value!r}" for name, value in attrs
                       if name in VISIBLE_ATTRIBUTES and value and has_words(value)]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and has_words(data):
            self.found.append(repr(data.strip()))


def literals(template_text: str) -> list[str]:
    parser = LiteralText()
    parser.feed(JINJA.sub(" ", template_text))
    return parser.found


def test_every_message_has_both_languages_and_the_same_ids():
    tables = {lang: read_messages(folder) for lang, folder in LANGUAGES.items()}
    zh, en = tables["zh-CN"], tables["en"]
    assert set(zh) == set(en), f"only in zh: {sorted(set(zh) - set(en))}; only in en: {sorted(set(en) - set(zh))}"
    empty = [f"{lang}:{k}" for lang, table in tables.items() for k, v in table.items() if not v.strip()]
    assert not empty, f"messages without text: {empty}"
    assert len(zh) > 100


def test_every_id_the_pages_use_is_in_the_catalogue():
    catalogue = load_catalogue()
    missing = sorted(i for i in used_ids() if i not in catalogue.messages["zh-CN"] or i not in catalogue.messages["en"])
    assert not missing, f"ids used by templates or code but not in the catalogue: {missing}"


def test_no_template_shows_a_literal_string():
    problems = {str(p.relative_to(PACKAGE)): literals(p.read_text(encoding="utf-8")) for p in TEMPLATES}
    problems = {k: v for k, v in problems.items() if v}
    assert TEMPLATES and not problems, f"user-visible text outside the catalogue: {problems}"


def test_the_literal_check_sees_text_and_visible_attributes():
    assert literals('<p>{{ _("a.b") }}</p><label for="x">{{ _("c") }}</label>') == []
    assert literals("<p>提交申请</p>") == ["'提交申请'"]
    assert literals('<p>{{ x }} Submit</p>') == ["'Submit'"]
    assert literals('<input placeholder="例如">') == ["input[placeholder]='例如'"]
    assert literals("{# a comment, not shown #}<p> · </p>") == []


def test_an_unknown_id_shows_itself_and_values_are_filled_in():
    _ = load_catalogue().gettext("en")
    assert _("selfcheck.member_n", n=3) == "Member 3"
    assert _("no.such.id") == "no.such.id"
    assert load_catalogue().gettext("zh-CN")("selfcheck.member_n", n=3) == "第3位成员"


def test_every_language_has_the_same_catalogue_files():
    from portal.i18n import catalogue_files
    names = {lang: [p.name for p in catalogue_files(folder)] for lang, folder in LANGUAGES.items()}
    assert names["zh-CN"] == names["en"] and "messages.po" in names["en"], names
