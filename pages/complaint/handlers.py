"""/complaints/{number}: the record, its history, and every workflow action."""

from __future__ import annotations

import json

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import File

from db import queries
from db.commands import NotNow, NotPermitted, NotVisible, perform, subject_of
from db.tables import ContactView
from pages.complaint.forms import ACTION_FORMS, ActionForm
from portal.attachments import path_of
from portal.grading import parse_criteria
from portal.i18n import N_, _, get_locale
from portal.labels import ACTION_LABELS, FIELD_LABELS
from portal.routing import default_department
from portal.timeutil import utcnow
from portal.web import Conflict, flash, form_data, redirect, render, user_of
from portal.workflow import (
    Action,
    available_actions,
    can_view,
    role_allows,
    sees_contacts,
    status_allows,
)

CONFLICT_MESSAGES = {
    "status": N_("This action is not possible in the complaint's current status "
                 "(someone may have acted on it already). The page now shows its current state."),
    "stale": N_("Someone else changed this complaint while you were looking at it. Your "
                "change was not saved; the page now shows the latest version."),
}


async def _visible_complaint(request: Request, number: str) -> dict:
    row = await queries.complaint_by_number(number)
    if row is None or not can_view(user_of(request).viewer, subject_of(row)):
        # Strangers cannot tell "not yours" from "does not exist".
        raise NotFoundException()
    return row


def _form_context(request: Request, row: dict, departments: list[dict]) -> dict:
    policy = request.app.state.policy
    return {
        "locale": get_locale(),
        "policy": policy,
        "departments": departments,
        "complaint": row,
        "suggested_department": default_department(
            policy, row["category"], row["complained_department"]),
    }


async def _page_context(request: Request, row: dict, forms: dict | None = None) -> dict:
    user = user_of(request)
    departments = await queries.departments()
    subject = subject_of(row)
    full_contacts = sees_contacts(user.viewer, subject)
    if full_contacts:
        # DOMAIN §8: every view of a customer's full contact details is logged.
        await ContactView(user=user.id, complaint=row["id"], at=utcnow()).save()
    context = _form_context(request, row, departments)
    actions = available_actions(user.viewer, subject)
    forms = dict(forms or {})
    for action in actions:
        if action not in forms:
            forms[action] = ACTION_FORMS[action](context=context,
                                                 data={"version": row["version"]})
    people = await queries.user_names({i for i in (row["logged_by"], row["acknowledged_by"]) if i})
    history = await queries.history_of(row["id"])
    for event in history:
        event["changes"] = json.loads(event["changes"]) if event["changes"] else {}
    return {
        "c": row,
        "policy": request.app.state.policy,
        "departments": {d["code"]: d for d in departments},
        "criteria": parse_criteria(row["criteria"]),
        "full_contacts": full_contacts,
        "actions": actions,
        "forms": forms,
        "action_labels": ACTION_LABELS,
        "field_labels": FIELD_LABELS,
        "history": history,
        "attachments": await queries.attachments_of(row["id"]),
        "linked": await queries.linked_complaints(row),
        "people": people,
    }


def _respond(request: Request, context: dict, status: int = 200, message: str | None = None,
             category: str = "success"):
    if message:
        flash(request, message, category)
    template = "complaint/_complaint.html" if request.htmx else "complaint/detail.html"
    return render(request, template, status_code=status, headers={"Vary": "HX-Request"},
                  **context)


@get("/complaints/{number:str}")
async def complaint_page(request: Request, number: str) -> object:
    row = await _visible_complaint(request, number)
    return _respond(request, await _page_context(request, row))


@post("/complaints/{number:str}/{action_name:str}")
async def complaint_action(request: Request, number: str, action_name: str) -> object:
    try:
        action = Action(action_name)
    except ValueError:
        raise NotFoundException() from None
    user = user_of(request)
    row = await _visible_complaint(request, number)
    if not role_allows(action, user.viewer, subject_of(row)):
        raise PermissionDeniedException()
    data = await form_data(request)
    departments = await queries.departments()
    form: ActionForm = ACTION_FORMS[action](data, context=_form_context(request, row, departments))
    if not status_allows(action, row["status"]):
        return await _conflict(request, row, "status")
    if not form.validate():
        if form.version.errors:
            return await _conflict(request, row, "stale")
        context = await _page_context(request, row, {action: form})
        context["open_action"] = action
        return _respond(request, context, 422,
                        _("Please correct the marked fields. Nothing has been changed."),
                        "error")
    fields = form.values()  # dispatch's department is one of the choices: WTForms checked it
    if action is Action.INVALID and fields.get("original"):
        original = await queries.complaint_by_number(fields["original"])
        if original is None or original["id"] == row["id"]:
            form.original.errors = [_("No other complaint has this number.")]
            context = await _page_context(request, row, {action: form})
            context["open_action"] = action
            return _respond(request, context, 422,
                            _("Please correct the marked fields. Nothing has been changed."),
                            "error")
    try:
        updated = await perform(number, action, user.viewer, form.version.data, fields, utcnow())
    except NotVisible:
        raise NotFoundException() from None
    except NotPermitted:
        raise PermissionDeniedException() from None
    except NotNow as exc:
        return await _conflict(request, row, exc.reason)
    message = _("Done: %(action)s.", action=str(ACTION_LABELS[action]))
    if not request.htmx:
        return redirect(f"/complaints/{number}", message, request)
    return _respond(request, await _page_context(request, updated), message=message)


async def _conflict(request: Request, row: dict, reason: str):
    current = await queries.complaint_by_number(row["number"])
    message = _(CONFLICT_MESSAGES[reason])
    if current is None or not can_view(user_of(request).viewer, subject_of(current)):
        raise Conflict(detail=message)
    return _respond(request, await _page_context(request, current), 409, message, "error")


@get("/complaints/{number:str}/attachments/{attachment_id:int}")
async def attachment(request: Request, number: str, attachment_id: int) -> File:
    """Evidence is served only to users who may see the complaint, never from /static."""
    row = await _visible_complaint(request, number)
    for item in await queries.attachments_of(row["id"]):
        if item["id"] == attachment_id:
            path = path_of(request.app.state.settings.attachments_dir, item["storage_key"])
            return File(path=path, filename=item["filename"], media_type=item["content_type"],
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "private, no-store"})
    raise NotFoundException()


ROUTES = [complaint_page, complaint_action, attachment]
