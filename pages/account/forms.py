from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional

from pages.forms import PortalForm
from portal.i18n import _l

LANGUAGES = [("zh_CN", "中文（简体）"), ("en", "English")]


class PasswordForm(PortalForm):
    current_password = PasswordField(
        _l("Current password"), [InputRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"), [InputRequired(_l("Enter a new password.")), Length(max=128)],
        render_kw={"autocomplete": "new-password", "maxlength": 128})
    new_password_confirm = PasswordField(
        _l("New password again"),
        [InputRequired(_l("Enter the new password again.")),
         EqualTo("new_password", _l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password", "maxlength": 128})


class SettingsForm(PortalForm):
    language = SelectField(_l("Language"), choices=LANGUAGES)
    email = EmailField(_l("Email"), [Optional(), Length(max=255),
                                     Email(_l("Enter an email address like name@example.com."))],
                       render_kw={"autocomplete": "email", "maxlength": 255})
