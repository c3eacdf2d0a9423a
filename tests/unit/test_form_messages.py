"""WTForms' own messages (a select posted with a value it does not offer, a number or a date
that does not parse, an empty required field) reach the reader in their language: every
message WTForms ships is in our catalogs, and PortalForm routes them through them."""

from pathlib import Path

import pytest
import wtforms
from babel.messages.pofile import read_po
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from pages.forms import WTFORMS_MESSAGES, PortalForm, _Translations
from portal.i18n import in_locale

HAN = range(0x4E00, 0xA000)


def _wtforms_messages():
    pot = Path(wtforms.__file__).with_name("locale") / "wtforms.pot"
    with pot.open("rb") as fh:
        return [m.id for m in read_po(fh) if m.id]


def _translate(message, n=2):
    if isinstance(message, tuple):
        return _Translations().ngettext(*message, n)
    return _Translations().gettext(message)


def test_every_wtforms_message_is_listed_for_our_catalogs():
    assert set(_wtforms_messages()) <= set(WTFORMS_MESSAGES)


@pytest.mark.parametrize("message", _wtforms_messages(), ids=str)
def test_every_wtforms_message_reads_in_chinese(message):
    with in_locale("zh_CN"):
        for n in (1, 2):
            text = _translate(message, n)
            assert any(ord(ch) in HAN for ch in text), text
    with in_locale("en"):
        assert not any(ord(ch) in HAN for ch in _translate(message, 1))


class Form(PortalForm):
    choice = SelectField("Choice", choices=[("a", "A"), ("b", "B")])
    number = IntegerField("Number", [Optional(), NumberRange(1, 9)])
    day = DateField("Day", [Optional()])
    email = EmailField("Email", [Optional(), Email()])
    name = StringField("Name", [DataRequired(), Length(min=3)])


class Data(dict):
    def getlist(self, key):
        return [self[key]] if key in self else []


BAD = Data(choice="nonsense", number="abc", day="2026-13-45", email="nobody", name="")


@pytest.mark.parametrize("locale, expected", [
    ("zh_CN", {"choice": "不是可选的选项，请从列表中选择。", "number": "请输入整数。",
               "day": "不是有效的日期。", "email": "邮箱地址无效。", "name": "此项为必填项。"}),
    ("en", {"choice": "Not a valid choice.", "number": "Not a valid integer value.",
            "day": "Not a valid date value.", "email": "Invalid email address.",
            "name": "This field is required."}),
])
def test_a_form_shows_wtforms_messages_in_the_readers_language(locale, expected):
    with in_locale(locale):
        form = Form(BAD)
        assert not form.validate()
        assert {name: errors[0] for name, errors in form.errors.items()} == expected


def test_range_and_length_messages_keep_their_figures():
    with in_locale("zh_CN"):
        form = Form(Data(choice="a", number="12", name="ab"))
        assert not form.validate()
        assert form.number.errors == ["数值须在 1 到 9 之间。"]
        assert form.name.errors == ["至少需要 3 个字符。"]
