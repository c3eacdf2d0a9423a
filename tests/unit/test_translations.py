"""Both catalogs are complete for every message in the code and templates."""

import importlib.util
from pathlib import Path

from portal import i18n

ROOT = Path(__file__).resolve().parents[2]


def _i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_extracted_message_is_translated_in_both_catalogs():
    assert _i18n_script().problems() == []


def test_extraction_finds_template_python_and_plural_messages():
    ids = {m.id for m in _i18n_script().extract() if m.id}
    assert "Log in" in ids  # a template
    assert "Wrong username or password." in ids  # Python
    assert ("%(num)d complaint waiting", "%(num)d complaints waiting") in ids  # ngettext


def test_chinese_is_the_default_and_english_is_available():
    token = i18n.set_locale("zh_CN")
    try:
        assert i18n._("Log in") == "登录"
        assert i18n.ngettext("%(num)d complaint waiting", "%(num)d complaints waiting", 2) == "2 件投诉待分拣"
        i18n.set_locale("en")
        assert i18n._("Log in") == "Log in"
        assert i18n.ngettext("%(num)d complaint waiting", "%(num)d complaints waiting", 1) == "1 complaint waiting"
    finally:
        i18n._current.reset(token)


def test_lazy_labels_follow_the_current_locale():
    label = i18n._l("Customer name")
    token = i18n.set_locale("zh_CN")
    try:
        assert str(label) == "客户姓名"
        i18n.set_locale("en")
        assert str(label) == "Customer name"
    finally:
        i18n._current.reset(token)


def test_a_message_with_a_context_is_extracted_and_translated_apart():
    found = {(m.context, m.id) for m in _i18n_script().extract() if m.id}
    assert ("the person who made a change", "Who") in found
    token = i18n.set_locale("zh_CN")
    try:
        assert i18n.pgettext("the person who made a change", "Who") == "操作人"
        assert i18n.pgettext("the person who saw the data", "Who") == "查看人"
        assert i18n._("Complaint") == "投诉内容"
        assert i18n.pgettext("a complaint's number and status", "Complaint") == "投诉编号"
    finally:
        i18n._current.reset(token)
