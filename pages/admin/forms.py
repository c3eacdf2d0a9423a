"""The administrator's forms: a user (create and edit) and a department."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from pages.forms import PortalForm
from portal.accounts import EMAIL_RE, USERNAME_RE, needs_department, password_problem
from portal.i18n import _, _l
from portal.labels import ROLE_LABELS

LANGUAGE_LABELS = {"zh_CN": "中文", "en": "English"}


class UserForm(PortalForm):
    username = StringField(_l("Username"), [InputRequired(_l("Enter a username.")), Length(max=64),
                                            Regexp(USERNAME_RE, message=_l(
                                                "Letters, digits, dot, dash and underscore only."))])
    name = StringField(_l("Full name"), [InputRequired(_l("Enter the name.")), Length(max=64)])
    email = StringField(_l("Email"), [Optional(), Length(max=255),
                                      Regexp(EMAIL_RE, message=_l("Enter a valid email address."))])
    role = SelectField(_l("Role"), [InputRequired()])
    department = SelectField(_l("Department"), [Optional()])
    language = SelectField(_l("Language"), [InputRequired()],
                           choices=list(LANGUAGE_LABELS.items()))
    password = PasswordField(_l("Password"), [Optional()],
                             description=_l("Leave empty to email a set-password link "
                                            "(valid 24 hours)."))

    def setup(self, departments: list[dict], locale: str, current: str | None = None) -> None:
        name = "name_en" if locale == "en" else "name_zh"
        self.role.choices = [(str(k), str(v)) for k, v in ROLE_LABELS.items()]
        self.department.choices = [("", _("— none —"))] + [
            (d["code"], f"{d[name]} ({d['code']})") for d in departments
            if d["is_active"] or d["code"] == current]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.role.data and needs_department(self.role.data) and not self.department.data:
            self.department.errors = [*self.department.errors,
                                      _("Handlers and department heads need a department.")]
            ok = False
        if self.password.data:
            problem = password_problem(self.password.data, (self.username.data or "").strip())
            if problem:
                self.password.errors = [*self.password.errors, problem]
                ok = False
        elif not (self.email.data or "").strip() and self.needs_email_for_link():
            self.email.errors = [*self.email.errors,
                                 _("Without a password the user needs an email address for "
                                   "the set-password link.")]
            ok = False
        return ok

    def needs_email_for_link(self) -> bool:
        return True

    def values(self) -> dict:
        return {
            "username": self.username.data.strip(),
            "display_name": self.name.data.strip(),
            "email": (self.email.data or "").strip(),
            "role": self.role.data,
            "department": self.department.data or None,
            "language": self.language.data,
        }


class UserEditForm(UserForm):
    active = BooleanField(_l("Active (may sign in)"))
    password = PasswordField(_l("New password"), [Optional()],
                             description=_l("Leave empty to keep the password."))

    def needs_email_for_link(self) -> bool:
        return False

    def values(self) -> dict:
        return {**super().values(), "is_active": bool(self.active.data)}


class DepartmentForm(PortalForm):
    code = StringField(_l("Code"), [InputRequired(_l("Enter a code.")), Length(max=16),
                                    Regexp(r"^[A-Z0-9_-]+$", message=_l(
                                        "Capital letters, digits, dash and underscore only."))],
                       render_kw={"placeholder": "QA"})
    name = StringField(_l("Name"), [InputRequired(_l("Enter the name.")), Length(max=64)],
                       render_kw={"placeholder": "质量部"})
    name_en = StringField(_l("English name (optional)"), [Optional(), Length(max=64)],
                          render_kw={"placeholder": "Quality"})


class DepartmentRenameForm(PortalForm):
    name = StringField(_l("Name"), [InputRequired(_l("Enter the name.")), Length(max=64)])
    name_en = StringField(_l("English name (optional)"), [Optional(), Length(max=64)])
