"""pages.forms.PortalForm: a Length limit is shown and enforced, never a silent maxlength."""

from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from pages.forms import PortalForm
from portal.i18n import in_locale


class Form(PortalForm):
    name = StringField("Name", [Optional(), Length(max=5)])
    note = TextAreaField("Note", [Optional(), Length(max=8)], render_kw={"maxlength": 8})
    free = StringField("Free")


class Data(dict):
    def getlist(self, key):
        return [self[key]] if key in self else []


def test_no_maxlength_attribute_is_rendered_but_the_limit_travels_as_data():
    form = Form()
    assert "maxlength" not in form.name() and 'data-maxchars="5"' in form.name()
    assert "maxlength" not in form.note() and 'data-maxchars="8"' in form.note()
    assert "maxchars" not in form.free()


def test_an_over_long_value_is_refused_with_the_limit_and_the_length():
    with in_locale("en"):
        form = Form(Data(name="abcdef"))
        assert not form.validate()
        assert form.name.errors == ["At most 5 characters; this has 6."]
        assert form.name.data == "abcdef"  # kept whole, never cut
    with in_locale("zh_CN"):
        form = Form(Data(name="一二三四五六七"))
        assert not form.validate()
        assert form.name.errors == ["最多 5 个字符，现在有 7 个。"]


def test_a_value_at_the_limit_passes():
    assert Form(Data(name="abcde", note="12345678")).validate()
