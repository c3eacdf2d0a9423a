"""/set-password/{token}: a user chooses their password from the emailed link. No log-in:
the single-use, 24-hour token is the key. Used or expired links say so (410); a link that
was never issued is 404."""

from __future__ import annotations

from litestar import Request, get, post
from wtforms import PasswordField
from wtforms.validators import InputRequired

from db.users import LinkState, open_link, use_link
from pages.forms import PortalForm
from portal.accounts import password_problem
from portal.i18n import _, _l
from portal.timeutil import utcnow
from portal.web import flash, form_data, redirect, render

PUBLIC = {"public": True}
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex"}


class SetPasswordForm(PortalForm):
    new_password = PasswordField(_l("New password"), [InputRequired(_l("Enter a password."))],
                                 render_kw={"autocomplete": "new-password"})
    new_password_confirm = PasswordField(_l("New password again"),
                                         [InputRequired(_l("Enter the password again."))],
                                         render_kw={"autocomplete": "new-password"})

    def check(self, username: str) -> bool:
        ok = self.validate()
        if self.new_password.data:
            problem = password_problem(self.new_password.data, username)
            if problem:
                self.new_password.errors = [*self.new_password.errors, problem]
                ok = False
            elif self.new_password_confirm.data and (
                    self.new_password_confirm.data != self.new_password.data):
                self.new_password_confirm.errors = [_("The two passwords differ.")]
                ok = False
        return ok


def _closed(request: Request, state: LinkState):
    return render(request, "set_password/closed.html", headers=HEADERS, reason=str(state),
                  status_code=404 if state == LinkState.UNKNOWN else 410)


def _page(request: Request, token: str, link: dict, form, status: int = 200):
    return render(request, "set_password/set_password.html", status_code=status,
                  headers=HEADERS, token=token, username=link["username"], form=form)


@get("/set-password/{token:str}", opt=PUBLIC)
async def set_password_page(request: Request, token: str) -> object:
    state, link = await open_link(token, utcnow())
    if state != LinkState.OPEN:
        return _closed(request, state)
    return _page(request, token, link, SetPasswordForm())


@post("/set-password/{token:str}", opt=PUBLIC)
async def set_password_submit(request: Request, token: str) -> object:
    now = utcnow()
    state, link = await open_link(token, now)
    if state != LinkState.OPEN:
        return _closed(request, state)
    form = SetPasswordForm(await form_data(request))
    if not form.check(link["username"]):
        return _page(request, token, link, form, 422)
    state = await use_link(token, form.new_password.data, now)
    if state != LinkState.OPEN:  # used in another tab a moment ago
        return _closed(request, state)
    # Whoever was signed in on this browser is not the user who just set a password.
    request.set_session({})
    flash(request, _("Your password is set. Sign in with it now."))
    return redirect("/login")


ROUTES = [set_password_page, set_password_submit]
