"""Form plumbing shared by the pages' WTForms forms."""

from __future__ import annotations

from wtforms import Form
from wtforms.meta import DefaultMeta

from portal.i18n import get_locale, translations


class _Translations:
    """WTForms formats its own messages after translating, so no formatting here."""

    def gettext(self, message: str) -> str:
        return translations(get_locale()).ugettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(get_locale()).ungettext(singular, plural, n)


class PortalForm(Form):
    """Every form: built-in validator messages in the request's language; CSRF is checked by
    the middleware (the token travels in the `_csrf_token` field, see layout/base.html)."""

    class Meta(DefaultMeta):
        def get_translations(self, form):
            return _Translations()
