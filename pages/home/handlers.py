from litestar import Request, get, post
from litestar.response import Redirect

from db.tables import User
from portal.auth import safe_next
from portal.i18n import LOCALES
from portal.web import form_data, remember_language, user_of


@get("/")
async def home(request: Request) -> Redirect:
    """Each role starts where its work is."""
    user = user_of(request)
    if user.is_office:
        return Redirect("/triage", status_code=303)
    if user.in_department:
        return Redirect("/inbox", status_code=303)
    if user.role == "admin":
        return Redirect("/admin/calendar", status_code=303)
    return Redirect("/mine", status_code=303)


@post("/lang", opt={"public": True})
async def switch_language(request: Request) -> Redirect:
    """The header switch; remembered in a cookie for a year."""
    data = await form_data(request)
    lang = data.get("lang")
    response = Redirect(safe_next(data.get("next")), status_code=303)
    if lang in LOCALES:
        remember_language(request, response, lang)
        user = getattr(request.state, "user", None)
        if user is not None:
            # Notices and emails go out in the language the user reads the portal in.
            await User.update({User.language: lang}).where(User.id == user.id)
    return response


ROUTES = [home, switch_language]
