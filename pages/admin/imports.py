"""/admin/users/import: upload a staff list (CSV or XLSX), see every row judged (new,
changed, unchanged, error) before anything is written, then confirm. Confirming is possible
only when the preview has no error row; the confirm form carries the parsed rows signed
with the portal's key, and they are judged again against the database before writing."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import UploadFile

from db import users as store
from portal.i18n import _, _l
from portal.staff_import import ImportFileError, judge, read_file, sign_rows, unsign_import
from portal.timeutil import utcnow
from portal.web import Conflict, redirect, render, roles, user_of
from portal.workflow import Role

ADMIN = roles(Role.ADMIN)
MAX_BYTES = 5 * 1024 * 1024
COLUMN_LABELS = {"name": _l("Full name"), "email": _l("Email"), "role": _l("Role"),
                 "department": _l("Department")}


def _page(request: Request, rows=None, error: str = "", status: int = 200, problem: str = ""):
    rows = rows or []
    counts = {s: sum(1 for r in rows if r.status == s)
              for s in ("new", "changed", "unchanged", "error")}
    blob = sign_rows(request.app.state.settings.secret_key, rows) if rows else ""
    return render(request, "admin/import.html", status_code=status, rows=rows, counts=counts,
                  error=error, blob=blob, problem=problem, column_labels=COLUMN_LABELS,
                  nav="admin")


@get("/admin/users/import", guards=[ADMIN])
async def import_page(request: Request) -> object:
    return _page(request)


@post("/admin/users/import", guards=[ADMIN])
async def import_preview(request: Request) -> object:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, error=_("Choose a CSV or XLSX file."), status=422)
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return _page(request, error=_("The file is larger than 5 MB."), status=422)
    try:
        rows = read_file(upload.filename, data)
    except ImportFileError as exc:
        return _page(request, error=str(exc), status=422)
    judge(rows, *await store.import_context())
    return _page(request, rows)


@post("/admin/users/import/confirm", guards=[ADMIN])
async def import_confirm(request: Request) -> object:
    form = await request.form()
    found = unsign_import(request.app.state.settings.secret_key, str(form.get("rows") or ""))
    if not found or not found[1]:
        raise Conflict(_("This import could not be read back; upload the file again."))
    key, rows = found
    if done := await store.import_done(key):
        return _already_imported(request, store.AlreadyImported(done))
    # The database may have changed since the preview: judge again, write only if clean.
    judge(rows, *await store.import_context())
    if any(r.status == "error" for r in rows):
        return _page(request, rows, status=409, problem=_(
            "Nothing was imported: some rows have errors. Correct the file and upload it "
            "again."))
    try:
        written = await store.import_users(rows, user_of(request).id, utcnow(),
                                           request.app.state.env.mailing, key=key)
    except store.AlreadyImported as exc:  # a second confirmation at the same moment
        return _already_imported(request, exc)
    return redirect("/admin/users", _("%(n)d users imported; new users were emailed a "
                                      "set-password link.", n=written), request)


def _already_imported(request: Request, done) -> object:
    """The same preview confirmed again (a second click, the browser's back and resend)."""
    when = done.at.astimezone(request.app.state.settings.timezone).strftime("%Y-%m-%d %H:%M")
    return _page(request, status=409, problem=_(
        "These rows were already imported (%(when)s, by %(name)s); nothing was imported "
        "again. To import further changes, upload the file again.",
        when=when, name=done.by or "—"))


ROUTES = [import_page, import_preview, import_confirm]
