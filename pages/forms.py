"""Form plumbing shared by the pages' WTForms forms."""

from __future__ import annotations

from wtforms import Form
from wtforms.meta import DefaultMeta

from portal.i18n import N_, get_locale, translations

# WTForms' own message for a Length(max=...) refusal, and ours in its place: the reader sees
# the limit and how long the text is, in their language (issue 12: never a silent cut).
_TOO_LONG = ("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.")
TOO_LONG = N_("At most %(max)d characters; this has %(length)d.")


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
