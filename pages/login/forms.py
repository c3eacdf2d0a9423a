from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from pages.forms import PortalForm
from portal.i18n import _l


class LoginForm(PortalForm):
    username = StringField(_l("Username"), [InputRequired(_l("Enter your username."))],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), [InputRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
