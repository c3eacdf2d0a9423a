"""Form plumbing shared by the pages' WTForms forms."""

from __future__ import annotations

from wtforms import Form
from wtforms.meta import DefaultMeta

from portal.i18n import N_, Nn_, get_locale, translations

# WTForms' own message for a Length(max=...) refusal, and ours in its place: the reader sees
# the limit and how long the text is, in their language (issue 12: never a silent cut).
_TOO_LONG = ("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.")
TOO_LONG = N_("At most %(max)d characters; this has %(length)d.")

# WTForms' own messages (wtforms/locale/wtforms.pot), marked here so that our catalogs carry
# them in Chinese: a select posted with a value it does not offer, a date or a number that
# does not parse, an empty required field... must never show English on a Chinese page.
# tests/unit/test_form_messages.py fails when a WTForms upgrade brings a message not listed.
WTFORMS_MESSAGES = (
    N_("Invalid field name '%s'."),
    N_("Field must be equal to %(other_name)s."),
    Nn_("Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long."),
    Nn_("Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters."),
    Nn_("Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid IP address."),
    N_("Invalid Mac address."),
    N_("Invalid URL."),
    N_("Invalid UUID."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    N_("Invalid Choice: could not coerce."),
    N_("Choices cannot be None."),
    N_("Not a valid choice."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    Nn_("'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field."),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid week value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
)


class _Translations:
    """WTForms formats its own messages after translating, so no formatting here."""

    def gettext(self, message: str) -> str:
        return translations(get_locale()).ugettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if (singular, plural) == _TOO_LONG:
            return self.gettext(TOO_LONG)
        return translations(get_locale()).ungettext(singular, plural, n)


class PortalForm(Form):
    """Every form: built-in validator messages in the request's language; CSRF is checked by
    the middleware (the token travels in the `_csrf_token` field, see layout/base.html)."""

    class Meta(DefaultMeta):
        def get_translations(self, form):
            return _Translations()

        def render_field(self, field, render_kw):
            # WTForms 3 turns Length(max=...) into a `maxlength` attribute, and a browser then
            # cuts typed or pasted text at the limit without a word. The limit is shown next
            # to the field instead (layout/_macros.html, static/js/portal.js counts along)
            # and an over-long value is refused with a message (422), never cut.
            limit = field.flags.maxlength
            render_kw = {**render_kw, "maxlength": False}
            if limit and "data-maxchars" not in render_kw:
                render_kw["data-maxchars"] = limit
            return super().render_field(field, render_kw)
