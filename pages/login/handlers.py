from litestar import Request, get, post
from litestar.response import Redirect

from db.tables import User
from pages.login.forms import LoginForm
from portal.auth import safe_next, verify_password
from portal.i18n import _
from portal.web import SESSION_USER, flash, form_data, render


@get("/login", opt={"public": True}, name="login")
async def login_page(request: Request, next: str = "/") -> object:  # noqa: A002
    if request.state.user:
        return Redirect(safe_next(next), status_code=303)
    return render(request, "login/login.html", form=LoginForm(), next=safe_next(next))


@post("/login", opt={"public": True})
async def login_submit(request: Request) -> object:
    data = await form_data(request)
    form = LoginForm(data)
    target = safe_next(data.get("next"))
    if form.validate():
        row = await User.select(User.id, User.password_hash).where(
            (User.username == form.username.data.strip()) & User.is_active.eq(True)
        ).first()
        if verify_password(row["password_hash"] if row else None, form.password.data):
            # A fresh session on log-in: nothing from before survives (session fixation).
            request.set_session({SESSION_USER: row["id"]})
            return Redirect(target, status_code=303)
        form.password.errors = [_("Wrong username or password.")]
    return render(request, "login/login.html", status_code=422,
                  form=form, next=target)


@post("/logout")
async def logout(request: Request) -> Redirect:
    request.set_session({})
    flash(request, _("You have logged out."))
    return Redirect("/login", status_code=303)


ROUTES = [login_page, login_submit, logout]
