"""Translations: zh_CN by default, English on request (Accept-Language or the header switch).

Catalogs live in portal/translations as .po files and are compiled in memory at start-up,
so a fresh checkout needs no build step. The current locale is a context variable set per
request; `_` and the lazy `_l` (for form labels defined at import time) read it.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import escape

TRANSLATIONS_DIR = Path(__file__).with_name("translations")
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LANG_COOKIE = "portal_lang"

_current = contextvars.ContextVar("portal_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> Translations:
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def set_locale(locale: str) -> contextvars.Token:
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


@contextmanager
def in_locale(locale: str):
    """Render something in another user's language (an email to its recipient)."""
    token = set_locale(locale)
    try:
        yield
    finally:
        _current.reset(token)


def html_lang(locale: str | None = None) -> str:
    return "en" if (locale or get_locale()) == "en" else "zh-CN"


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The header switch (a cookie) wins; then the browser's languages; else Chinese."""
    if cookie in LOCALES:
        return cookie
    if accept_language:
        preferred = []
        for part in accept_language.split(","):
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            if tag:
                preferred.append((weight, tag.replace("-", "_")))
        ordered = [tag for _w, tag in sorted(preferred, key=lambda p: -p[0])]
        found = negotiate_locale(ordered, ["zh_CN", "zh", "en"], sep="_")
        if found:
            return "en" if found == "en" else "zh_CN"
    return DEFAULT_LOCALE


def gettext(message: str, **params) -> str:
    text = translations(get_locale()).ugettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    text = translations(get_locale()).ungettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


def pgettext(context: str, message: str, **params) -> str:
    """A message whose wording depends on where it stands (msgctxt): "Who" is 操作人 in a
    change log but 查看人 in the contact-view log."""
    text = translations(get_locale()).upgettext(context, message)
    return text % params if params else text


_ = gettext


def N_(message: str) -> str:  # noqa: N802
    """Marks a message for extraction; it is translated later, where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802
    """Marks a singular/plural pair for extraction, as N_ does a single message."""
    return singular, plural


class LazyString:
    """A message translated when it is shown, in the locale of the request showing it."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other) -> str:
        return str(self) + str(other)

    def __mod__(self, params) -> str:
        return str(self) % params

    def __repr__(self) -> str:
        return f"_l({self.message!r})"


def _l(message: str) -> LazyString:
    return LazyString(message)


def locale_display_name(locale: str) -> str:
    return Locale.parse(locale).get_display_name(locale)
