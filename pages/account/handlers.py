"""/account: every user's own password, language and email."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect

from db.tables import User
from db.users import set_password
from pages.account.forms import PasswordForm, SettingsForm
from portal.accounts import password_problem
from portal.auth import verify_password
from portal.i18n import _, set_locale
from portal.timeutil import utcnow
from portal.web import flash, form_data, remember_language, render, session_token, user_of


async def _page(request: Request, password: PasswordForm | None = None,
                settings: SettingsForm | None = None, status: int = 200):
    user = user_of(request)
    if settings is None:
        row = await User.select(User.language, User.email).where(User.id == user.id).first()
        settings = SettingsForm(data=row)
    return render(request, "account/account.html", status_code=status,
                  password=password or PasswordForm(), settings=settings, nav="account")


@get("/account")
async def account_page(request: Request) -> object:
    return await _page(request)


@post("/account")
async def account_submit(request: Request) -> object:
    """One URL for both forms: the fields posted say which (`new_password` → password)."""
    data = await form_data(request)
    if "new_password" in data or "current_password" in data:
        return await _change_password(request, PasswordForm(data))
    return await _change_settings(request, SettingsForm(data))


async def _change_password(request: Request, form: PasswordForm) -> object:
    user = user_of(request)
    if form.validate():
        row = await User.select(User.password_hash).where(User.id == user.id).first()
        if not verify_password(row["password_hash"], form.current_password.data):
            form.current_password.errors = [_("That is not your current password.")]
        elif problem := password_problem(form.new_password.data, user.username):
            form.new_password.errors = [problem]
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors = [_("The new password is the same as the current one.")]
        else:
            # ASVS 3.3.3: a new password ends every other session of the user.
            ended = await set_password(user.id, form.new_password.data, now=utcnow(),
                                       keep=session_token(request))
            return _done(request, _("Your password has been changed.") + (
                " " + _("You were signed out everywhere else.") if ended else ""))
    return await _page(request, password=form, status=422)


async def _change_settings(request: Request, form: SettingsForm) -> object:
    user = user_of(request)
    if not form.validate():
        return await _page(request, settings=form, status=422)
    email = (form.email.data or "").strip()
    await User.update({User.language: form.language.data, User.email: email}).where(
        User.id == user.id)
    set_locale(form.language.data)  # the confirmation is in the language just chosen
    response = _done(request, _("Your settings have been saved."))
    remember_language(request, response, form.language.data)
    return response


def _done(request: Request, message: str) -> Redirect:
    flash(request, message)
    return Redirect("/account", status_code=303)


ROUTES = [account_page, account_submit]
