from litestar import Request, get, post
from litestar.response import Redirect

from db import logins
from db.sessions import end_session, start_session
from db.tables import User
from pages.login.forms import LoginForm
from portal.access_log import SIGN_IN_AS
from portal.auth import safe_next, verify_password
from portal.i18n import DEFAULT_LOCALE, LANG_COOKIE, _
from portal.throttle import shown_until
from portal.timeutil import utcnow
from portal.web import (
    SESSION_TOKEN,
    client_ip,
    flash,
    form_data,
    remember_language,
    render,
    session_token,
)


@get("/login", opt={"public": True}, name="login")
async def login_page(request: Request, next: str = "/") -> object:  # noqa: A002
    if request.state.user:
        return Redirect(safe_next(next), status_code=303)
    return render(request, "login/login.html", form=LoginForm(), next=safe_next(next),
                  expired=getattr(request.state, "session_expired", False))


@post("/login", opt={"public": True})
async def login_submit(request: Request) -> object:
    data = await form_data(request)
    form = LoginForm(data)
    target = safe_next(data.get("next"))
    if not form.validate():
        return render(request, "login/login.html", status_code=422, form=form, next=target)
    now, ip = utcnow(), client_ip(request)
    username = form.username.data.strip()
    request.state[SIGN_IN_AS] = username
    locked = await logins.refused_until(username, ip, now)
    if locked is not None:
        # Refused whatever the password, so a guesser learns nothing while locked.
        await logins.record(username, ip, "locked", now)
        local = shown_until(locked.astimezone(request.app.state.settings.timezone))
        form.password.errors = [_("Too many failed sign-ins. Sign-in is locked until %(time)s; "
                                  "please try again then.", time=local.strftime("%H:%M"))]
        return render(request, "login/login.html", status_code=429, form=form, next=target)
    row = await User.select(User.id, User.password_hash, User.is_active, User.language).where(
        User.username == username).first()
    ok = verify_password(row["password_hash"] if row else None, form.password.data)
    if ok and row["is_active"]:
        old = session_token(request)
        if old:
            await end_session(old, now)
        # A new token at sign-in: nothing from before carries the identity (session fixation).
        token = await start_session(row["id"], now, ip, request.headers.get("user-agent", ""))
        await logins.record(username, ip, "ok", now, row["id"])
        request.set_session({SESSION_TOKEN: token})
        response = Redirect(target, status_code=303)
        if LANG_COOKIE not in request.cookies and row["language"] != DEFAULT_LOCALE:
            # A language chosen in the account follows the user to a browser where they have
            # not used the switch; an account on the default follows the browser's languages.
            remember_language(request, response, row["language"])
        return response
    outcome = "unknown-user" if row is None else ("inactive" if ok else "wrong-password")
    await logins.record(username, ip, outcome, now, row["id"] if row else None)
    form.password.errors = [_("Wrong username or password.")]
    return render(request, "login/login.html", status_code=422, form=form, next=target)


@post("/logout")
async def logout(request: Request) -> Redirect:
    token = session_token(request)
    if token:
        await end_session(token, utcnow())
    request.set_session({})
    flash(request, _("You have logged out."))
    return Redirect("/login", status_code=303)


ROUTES = [login_page, login_submit, logout]
