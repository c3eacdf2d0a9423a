"""Translation catalogs: extract | update | check.

    uv run python scripts/i18n.py extract   # portal/translations/messages.pot from code and templates
    uv run python scripts/i18n.py update    # merge the POT into zh_CN and en, keeping translations
    uv run python scripts/i18n.py check     # fail when a message lacks a translation in either catalog
"""

from __future__ import annotations

import re
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("zh_CN", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None,
            "Nn_": (1, 2), "pgettext": ((1, "c"), 2)}
METHODS = [
    ("portal/**.py", "python"),
    ("pages/**.py", "python"),
    ("db/**.py", "python"),
    ("pages/**/templates/**.html", "jinja2"),
]
OPTIONS = {"pages/**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                          "lstrip_blocks": "true", "newstyle_gettext": "true"}}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def extract() -> Catalog:
    catalog = Catalog(project="complaint-portal", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS,
        strip_comment_tags=True,
    ):
        if filename.startswith(("tests", "e2e", "bench", ".venv", "node_modules")):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = _po_path(locale)
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        return Catalog(locale=locale, project="complaint-portal", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False  # a fuzzy header would be dropped when compiled (plural forms lost)
    buf = BytesIO()
    write_po(buf, catalog, width=100, sort_output=False, omit_header=False)
    path.write_bytes(buf.getvalue())


def update() -> None:
    template = extract()
    save(template, POT)
    for locale in LOCALES:
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            if not message.id:
                continue
            message.flags.discard("fuzzy")
            if locale == "en" and not _filled(message):
                # English msgids are the English text.
                message.string = message.id
        catalog.obsolete.clear()
        save(catalog, _po_path(locale))
    print(f"{len(template)} messages; catalogs updated")


def _filled(message) -> bool:
    if isinstance(message.string, tuple | list):
        return all(s.strip() for s in message.string)
    return bool(message.string and message.string.strip())


def problems() -> list[str]:
    template = extract()
    found = []
    for locale in LOCALES:
        catalog = load(locale)
        for message in template:
            if not message.id:
                continue
            translated = catalog.get(message.id, message.context)
            key = message.id if isinstance(message.id, str) else message.id[0]
            if translated is None or not _filled(translated) or translated.fuzzy:
                found.append(f"{locale}: untranslated: {key!r}")
                continue
            ids = message.id if isinstance(message.id, tuple | list) else [message.id]
            strings = translated.string
            strings = strings if isinstance(strings, tuple | list) else [strings]
            want = set(PLACEHOLDER.findall(" ".join(ids)))
            for s in strings:
                if set(PLACEHOLDER.findall(s)) != want:
                    found.append(f"{locale}: placeholders differ: {key!r} -> {s!r}")
    return found


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "extract":
        save(extract(), POT)
        print(f"wrote {POT.relative_to(ROOT)}")
    elif command == "update":
        update()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        if found:
            sys.exit(f"{len(found)} translation problem(s); run scripts/i18n.py update and translate")
        print("translation catalogs complete")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
