"""/admin: the administrator's index; /admin/users (list, create, edit, reset-password) and
/admin/departments (create, rename, deactivate). Every change writes an admin_event row in
its transaction (db/users.py). Admin only, except the index, which the CS head sees with
the links they may use."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException

from db import queries
from db import users as store
from pages.admin.forms import (
    LANGUAGE_LABELS,
    DepartmentForm,
    DepartmentRenameForm,
    UserEditForm,
    UserForm,
)
from pages.admin.imports import ROUTES as import_routes
from portal.i18n import _, _l, get_locale
from portal.timeutil import utcnow
from portal.web import Conflict, form_data, page_number, redirect, render, roles, user_of
from portal.workflow import Role

ADMIN = roles(Role.ADMIN)
ADMIN_OR_CS_HEAD = roles(Role.ADMIN, Role.CS_HEAD)
# The names of the fields in a user's change log.
FIELD_LABELS = {"username": _l("Username"), "display_name": _l("Full name"), "email": _l("Email"),
                "role": _l("Role"), "department": _l("Department"), "language": _l("Language"),
                "is_active": _l("Active"), "password": _l("Password"),
                "set-password-link": _l("Set-password link")}


@get("/admin", guards=[ADMIN_OR_CS_HEAD])
async def admin_index(request: Request) -> object:
    return render(request, "admin/index.html", nav="admin")


# -- users -------------------------------------------------------------------------------

@get("/admin/users", guards=[ADMIN])
async def users_page(request: Request, q: str = "", page: str = "") -> object:
    page = page_number(page)
    rows, total = await store.list_users(q, page)
    pages = max((total + store.PER_PAGE - 1) // store.PER_PAGE, 1)
    return render(request, "admin/users.html", rows=rows, total=total, q=q, page=page,
                  pages=pages, departments={d["code"]: d for d in await queries.departments()},
                  nav="admin")


async def _user_form(request: Request, cls, data=None, current: str | None = None, **kwargs):
    form = cls(data, **kwargs)
    form.setup(await queries.departments(), get_locale(), current)
    return form


async def _form_page(request: Request, form, user: dict | None = None, events=(),
                     status: int = 200, problem: str = ""):
    return render(request, "admin/user_form.html", status_code=status, form=form, edited=user,
                  events=events, problem=problem, field_labels=FIELD_LABELS, nav="admin",
                  departments={d["code"]: d for d in await queries.departments()},
                  LANGUAGES=LANGUAGE_LABELS)


@get("/admin/users/new", guards=[ADMIN])
async def new_user_page(request: Request) -> object:
    form = await _user_form(request, UserForm)
    form.language.data = "zh_CN"
    return await _form_page(request, form)


@post("/admin/users/new", guards=[ADMIN])
async def create_user(request: Request) -> object:
    form = await _user_form(request, UserForm, await form_data(request))
    ok = form.validate()
    if form.username.data and await store.username_taken(form.username.data.strip()):
        form.username.errors = [*form.username.errors, _("This username is taken.")]
        ok = False
    if not ok:
        return await _form_page(request, form, status=422)
    values = form.values()
    await store.create_user(values, form.password.data or "", user_of(request).id, utcnow(),
                            request.app.state.env.mailing)
    message = _("User %(username)s created.", username=values["username"]) if form.password.data \
        else _("User %(username)s created; a set-password link was emailed to %(email)s.",
               username=values["username"], email=values["email"])
    return redirect(f"/admin/users/{values['username']}", message, request)


async def _edited(username: str) -> dict:
    row = await store.user_by_username(username)
    if row is None:
        raise NotFoundException()
    return row


async def _edit_page(request: Request, row: dict, form=None, status: int = 200,
                     problem: str = ""):
    if form is None:
        form = await _user_form(request, UserEditForm, current=row["department"])
        form.username.data, form.name.data, form.email.data = (
            row["username"], row["display_name"], row["email"])
        form.role.data, form.department.data = row["role"], row["department"] or ""
        form.language.data, form.active.data = row["language"], row["is_active"]
    return await _form_page(request, form, row,
                            await store.events_of(f"user:{row['username']}"), status, problem)


@get("/admin/users/{username:str}", guards=[ADMIN])
async def edit_user_page(request: Request, username: str) -> object:
    return await _edit_page(request, await _edited(username))


def _refusal(row: dict, values: dict, me: int, other_admins: int) -> str:
    """Why this change may not be made now: the portal must keep an administrator."""
    if row["id"] == me and not values["is_active"]:
        return _("You cannot deactivate your own account.")
    still_admin = values["is_active"] and values["role"] == Role.ADMIN
    if row["role"] == Role.ADMIN and row["is_active"] and not still_admin and other_admins == 0:
        return _("This is the last active administrator: make someone else administrator "
                 "first.")
    return ""


@post("/admin/users/{username:str}", guards=[ADMIN])
async def update_user(request: Request, username: str) -> object:
    row = await _edited(username)
    form = await _user_form(request, UserEditForm, await form_data(request),
                            current=row["department"])
    ok = form.validate()
    new_name = (form.username.data or "").strip()
    if new_name and new_name != row["username"] and await store.username_taken(new_name):
        form.username.errors = [*form.username.errors, _("This username is taken.")]
        ok = False
    if not ok:
        return await _edit_page(request, row, form, 422)
    values = form.values()
    problem = _refusal(row, values, user_of(request).id,
                       await store.other_active_admins(row["id"]))
    if problem:
        return await _edit_page(request, row, form, 409, problem)
    now = utcnow()
    diff = await store.update_user(row["id"], values, user_of(request).id, now)
    if form.password.data:
        await store.set_password(row["id"], form.password.data, now=now)
        await store.record(user_of(request).id, "user-password", f"user:{values['username']}",
                           {"password": ["", "set"]}, now)
    message = _("Changes saved.") if diff or form.password.data else _("Nothing changed.")
    return redirect(f"/admin/users/{values['username']}", message, request)


@post("/admin/users/{username:str}/reset-password", guards=[ADMIN])
async def reset_password(request: Request, username: str) -> object:
    row = await _edited(username)
    if not row["is_active"]:
        raise Conflict(_("This user is deactivated: activate the account first."))
    if not row["email"]:
        raise Conflict(_("This user has no email address: add one first."))
    await store.send_password_link(row["id"], user_of(request).id, utcnow(),
                                   request.app.state.env.mailing)
    return redirect(f"/admin/users/{username}",
                    _("A set-password link was emailed to %(email)s.", email=row["email"]),
                    request)


# -- departments -------------------------------------------------------------------------

async def _departments_page(request: Request, form=None, status: int = 200, problem: str = "",
                            rename_errors: dict | None = None):
    return render(request, "admin/departments.html", status_code=status,
                  rows=await store.departments_with_staff(), form=form or DepartmentForm(),
                  problem=problem, rename_errors=rename_errors or {}, nav="admin")


@get("/admin/departments", guards=[ADMIN])
async def departments_page(request: Request) -> object:
    return await _departments_page(request)


@post("/admin/departments", guards=[ADMIN])
async def create_department(request: Request) -> object:
    form = DepartmentForm(await form_data(request))
    ok = form.validate()
    code = (form.code.data or "").strip()
    if code and await store.department(code):
        form.code.errors = [*form.code.errors, _("This code is taken.")]
        ok = False
    if not ok:
        return await _departments_page(request, form, 422)
    name = form.name.data.strip()
    await store.create_department(code, name, (form.name_en.data or "").strip() or name,
                                  user_of(request).id, utcnow())
    return redirect("/admin/departments", _("Department %(code)s created.", code=code), request)


async def _department(code: str) -> dict:
    row = await store.department(code)
    if row is None:
        raise NotFoundException()
    return row


@post("/admin/departments/{code:str}", guards=[ADMIN])
async def rename_department(request: Request, code: str) -> object:
    row = await _department(code)
    form = DepartmentRenameForm(await form_data(request))
    if not form.validate():
        return await _departments_page(request, status=422,
                                       rename_errors={code: [*form.name.errors,
                                                             *form.name_en.errors]})
    name = form.name.data.strip()
    await store.update_department(code, {"name_zh": name,
                                         "name_en": (form.name_en.data or "").strip()
                                         or row["name_en"]},
                                  user_of(request).id, utcnow())
    return redirect("/admin/departments", _("Department %(code)s saved.", code=code), request)


@post("/admin/departments/{code:str}/deactivate", guards=[ADMIN])
async def deactivate_department(request: Request, code: str) -> object:
    await _department(code)
    refused = await store.deactivate_department(code, user_of(request).id, utcnow())
    if refused:
        return await _departments_page(
            request, status=409,
            problem=_("%(code)s still has %(n)d open complaints: it can be deactivated once "
                      "they are finished or moved to another department.", code=code, n=refused))
    return redirect("/admin/departments",
                    _("Department %(code)s deactivated: it no longer appears in routing and "
                      "dispatch choices.", code=code), request)


@post("/admin/departments/{code:str}/activate", guards=[ADMIN])
async def activate_department(request: Request, code: str) -> object:
    await _department(code)
    await store.update_department(code, {"is_active": True}, user_of(request).id, utcnow())
    return redirect("/admin/departments", _("Department %(code)s is active again.", code=code),
                    request)


ROUTES = [*import_routes, admin_index, users_page, new_user_page, create_user, edit_user_page, update_user,
          reset_password, departments_page, create_department, rename_department,
          deactivate_department, activate_department]
