"""Every template keeps to the Content-Security-Policy: no inline script, handler or style."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(ROOT.glob("pages/*/templates/**/*.html"))

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER_ATTR = re.compile(r"""[\s"'](on[a-z]+)\s*=""", re.I)
HX_ON = re.compile(r"""[\s"'](hx-on|data-hx-on)[:\w-]*\s*=""", re.I)
STYLE_ATTR = re.compile(r"""[\s"']style\s*=""", re.I)
STYLE_TAG = re.compile(r"<style\b", re.I)


def inline_problems(text: str) -> list[str]:
    problems = []
    for match in SCRIPT_TAG.finditer(text):
        if not re.search(r"\bsrc\s*=", match.group(1)):
            problems.append(f"inline <script{match.group(1)}>")
    problems += [f"{m.group(1)}= handler" for m in HANDLER_ATTR.finditer(text)]
    problems += [f"{m.group(1)} attribute" for m in HX_ON.finditer(text)]
    problems += ["style= attribute" for _ in STYLE_ATTR.finditer(text)]
    problems += ["<style> element" for _ in STYLE_TAG.finditer(text)]
    return problems


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_script_handler_or_style(path):
    assert inline_problems(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("snippet", [
    "<script>alert(1)</script>",
    '<script type="application/json">{}</script>',
    '<button onclick="go()">',
    "<body onload='x()'>",
    '<button hx-on:click="x()">',
    '<div hx-on::after-request="x()">',
    '<p style="color:red">',
    "<style>p{}</style>",
])
def test_the_scan_catches(snippet):
    assert inline_problems(snippet)


@pytest.mark.parametrize("snippet", [
    '<script src="/static/js/portal.js" defer></script>',
    '<form method="post" action="/x" data-action="log">',
    '<meta name="htmx-config" content="{}">',
    '<button data-print>',
])
def test_the_scan_allows(snippet):
    assert inline_problems(snippet) == []


def test_the_swatch_classes_repeat_the_chart_palette():
    from pages.stats.view import PALETTE

    css = (ROOT / "static/css/portal.css").read_text(encoding="utf-8")
    for i, colour in enumerate(PALETTE):
        assert re.search(rf"\.swatch-{i} \{{ background: {colour}; \}}", css), colour
