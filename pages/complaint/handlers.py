"""/complaints/{number}: the record, its history, and every workflow action."""

from __future__ import annotations

import json

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import File

from db import queries, revisits
from db.calendar import business_calendar
from db.commands import CONDITIONS, Invalid, NotNow, NotPermitted, NotVisible, perform, subject_at, subject_of
from db.corrections import correct_record
from db.tables import ContactView
from pages.complaint.forms import ACTION_FORMS, ActionForm, CorrectionForm
from portal.attachments import Upload, name_for, path_of, safe_filename, upload_problems
from portal.corrections import CONTACT_FIELDS
from portal.grading import parse_criteria
from portal.i18n import N_, _, get_locale, ngettext
from portal.labels import (
    ACTION_LABELS,
    APPEAL_KINDS,
    DEADLINE_LABELS,
    EVENT_LABELS,
    FIELD_LABELS,
)
from portal.routing import default_department
from portal.schedule import deadline_views
from portal.timeutil import utcnow
from portal.web import Conflict, flash, form_data, redirect, render, respond, user_of
from portal.workflow import (
    Action,
    available_actions,
    can_view,
    condition_allows,
    role_allows,
    sees_contacts,
    status_allows,
)

CONFLICT_MESSAGES = {
    "status": N_("This action is not possible in the complaint's current status "
                 "(someone may have acted on it already). The page now shows its current state."),
    "stale": N_("Someone else changed this complaint while you were looking at it. Your "
                "change was not saved; the page now shows the latest version."),
    "extension_closed": N_("An extension can only be requested before the result deadline, "
                           "and only one at a time."),
    "no_extension": N_("There is no pending extension request on this complaint."),
    "appeal_closed": N_("An appeal is only possible within one working day of dispatch."),
    "revisit_closed": N_("This complaint is not waiting for a revisit."),
    "survey_not_possible": N_("An email survey can only be sent while the revisit waits in "
                              "the phone queue, and only to a customer with an email address."),
    "reopened": N_("A complaint reopened after an unsatisfied revisit must be dispatched to a "
                   "department, not resolved on the spot."),
    "not_escalated": N_("Only a complaint handed to the customer-service head after repeated "
                        "dissatisfaction can be closed here."),
    "already_linked": N_("This complaint is already linked to an earlier one. Unlink it first "
                         "to link it to another."),
    "not_linked": N_("This complaint is not linked to an earlier one."),
}
# Why a field was refused by a rule on the stored complaint (db.commands.Invalid).
INVALID_MESSAGES = {
    "not_later": N_("The new deadline must be later than the current result deadline."),
    "past_cap": N_("No complaint may run past its final deadline (cap), even with an extension."),
    "past": N_("The new deadline is already past."),
    "same_department": N_("Choose a department other than the current one."),
    "evidence": N_("Disputing the facts needs evidence: attach at least one file."),
    "not_assignable": N_("Choose an active handler or head of the handling department."),
    "no_other_complaint": N_("No other complaint has this number."),
    "not_earlier": N_("A complaint can only repeat one logged before it."),
}
MAX_EVIDENCE = 5


async def _visible_complaint(request: Request, number: str) -> dict:
    row = await queries.complaint_by_number(number)
    if row is None or not can_view(user_of(request).viewer, subject_of(row)):
        # Strangers cannot tell "not yours" from "does not exist".
        raise NotFoundException()
    return row


def _form_context(request: Request, row: dict, departments: list[dict],
                  staff: list[dict] = ()) -> dict:
    policy = request.app.state.policy
    tz = request.app.state.settings.timezone
    return {
        "locale": get_locale(),
        "policy": policy,
        "tz": tz,
        "cap_local": row["cap_due"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
        if row["cap_due"] else "",
        "departments": departments,
        "complaint": row,
        "staff": staff,  # who the head may assign it to
        "suggested_department": default_department(
            policy, row["category"], row["complained_department"]),
    }


async def _page_context(request: Request, row: dict, forms: dict | None = None) -> dict:
    user = user_of(request)
    departments = await queries.departments()
    policy = request.app.state.policy
    cal = await business_calendar(policy, request.app.state.settings.timezone)
    now = utcnow()
    subject = subject_at(row, now, policy, cal)
    may_see = sees_contacts(user.viewer, subject)
    # DOMAIN §8: an anonymized complaint has no contact details left to show (or to log).
    full_contacts = may_see and row["anonymized_at"] is None
    if full_contacts:
        # DOMAIN §8: every view of a customer's full contact details is logged.
        await ContactView(user=user.id, complaint=row["id"], at=utcnow()).save()
    actions = available_actions(user.viewer, subject)
    staff = await queries.assignable_staff(row["department"]) if Action.ASSIGN in actions else []
    context = _form_context(request, row, departments, staff)
    forms = dict(forms or {})
    for action in actions:
        if action not in forms:
            forms[action] = ACTION_FORMS[action](context=context,
                                                 data={"version": row["version"]})
    people = await queries.user_names(
        {i for i in (row["logged_by"], row["acknowledged_by"], row["assignee"]) if i})
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
        "event_labels": EVENT_LABELS,
        "contact_fields": CONTACT_FIELDS,
        "deadlines": deadline_views(row, now, policy.deadlines, cal),
        "deadline_labels": DEADLINE_LABELS,
        "appeal_kinds": APPEAL_KINDS,
        "history": history,
        "attachments": await queries.attachments_of(row["id"]),
        "linked": await queries.linked_complaints(row),
        "people": people,
        "revisit": await _revisit_context(row) if may_see else None,
        "now": now,
    }


async def _revisit_context(row: dict) -> dict | None:
    """The revisit card: calls and surveys of every round (office and department)."""
    if not row["revisit_state"] and not row["reopen_count"]:
        return None
    return {"attempts": await revisits.attempts_of(row["id"]),
            "surveys": await revisits.surveys_of(row["id"])}


def _respond(request: Request, context: dict, status: int = 200, message: str | None = None,
             category: str = "success"):
    return respond(request, "complaint/_complaint.html", "complaint/detail.html", context,
                   status, message, category)


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
    staff = await queries.assignable_staff(row["department"]) if action is Action.ASSIGN else []
    form: ActionForm = ACTION_FORMS[action](data, context=_form_context(request, row, departments,
                                                                        staff))
    if not status_allows(action, row["status"]):
        return await _conflict(request, row, "status")
    policy = request.app.state.policy
    cal = await business_calendar(policy, request.app.state.settings.timezone)
    if not condition_allows(action, subject_at(row, utcnow(), policy, cal)):
        return await _conflict(request, row, CONDITIONS[action])
    uploads, file_errors = await _evidence(request, action, form)
    if not form.validate() or file_errors:
        if form.version.errors:
            return await _conflict(request, row, "stale")
        if file_errors:
            form.evidence.errors = file_errors
        return await _invalid(request, row, action, form)
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
    settings = request.app.state.settings
    try:
        updated = await perform(number, action, user.viewer, form.version.data, fields, utcnow(),
                                request.app.state.env, uploads, settings.attachments_dir)
    except NotVisible:
        raise NotFoundException() from None
    except NotPermitted:
        raise PermissionDeniedException() from None
    except NotNow as exc:
        return await _conflict(request, row, exc.reason)
    except Invalid as exc:
        form[exc.field].errors = [*form[exc.field].errors, _(INVALID_MESSAGES[exc.reason])]
        return await _invalid(request, await queries.complaint_by_number(number), action, form)
    message = _("Done: %(action)s.", action=str(ACTION_LABELS[action]))
    if not request.htmx:
        return redirect(f"/complaints/{number}", message, request)
    return _respond(request, await _page_context(request, updated), message=message)


async def _evidence(request: Request, action: Action, form: ActionForm) -> tuple[list, list]:
    """An appeal's evidence files: read, checked like intake's; required to dispute facts."""
    if action is not Action.APPEAL:
        return [], []
    raw = await request.form()
    uploads = [Upload(safe_filename(item.filename), await item.read())
               for item in raw.getall("evidence", [])
               if isinstance(item, UploadFile) and item.filename]
    errors = [_(msg, **params) for msg, params in upload_problems(uploads)]
    if not uploads and form.kind.data == "dispute-facts":
        errors.append(_(INVALID_MESSAGES["evidence"]))
    return uploads, errors


async def _invalid(request: Request, row: dict, action: Action, form: ActionForm):
    context = await _page_context(request, row, {action: form})
    context["open_action"] = action
    return _respond(request, context, 422,
                    _("Please correct the marked fields. Nothing has been changed."), "error")


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
            # name_for: a file stored before names followed the type gets its extension here.
            return File(path=path, filename=name_for(item["filename"], item["content_type"]),
                        media_type=item["content_type"],
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "private, no-store"})
    raise NotFoundException()


def _may_correct(request: Request, row: dict) -> None:
    """Correcting the record is the complaint office's (and the CS head's) work; an
    anonymized record (DOMAIN §8) is not corrected: its customer's data is gone for good."""
    if not user_of(request).is_office:
        raise PermissionDeniedException()
    if row["anonymized_at"] is not None:
        raise Conflict(detail=_("This complaint was anonymized: the customer's personal data "
                                "was erased and the record can no longer be corrected."))


def _correction_form(request: Request, row: dict, departments: list[dict],
                     formdata=None) -> CorrectionForm:
    state = request.app.state
    tz = state.settings.timezone

    def local(moment):
        return moment.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0) \
            if moment else None

    stored = {**row, "received_at": local(row["received_at"]),
              "occurred_at": local(row["occurred_at"]),
              "complained_department": row["complained_department"] or ""}
    return CorrectionForm(formdata, complaint=row, policy=state.policy,
                          departments=departments, locale=get_locale(), now=utcnow(), tz=tz,
                          data=stored if formdata is None else None)


async def _correction_page(request: Request, row: dict, form: CorrectionForm,
                           status: int = 200, message: str | None = None,
                           category: str = "success"):
    # DOMAIN §8: the form shows the customer's full phone and email: a logged view.
    await ContactView(user=user_of(request).id, complaint=row["id"], at=utcnow()).save()
    if message:
        flash(request, message, category)
    return render(request, "complaint/edit.html", status_code=status, c=row, form=form,
                  policy=request.app.state.policy)


@get("/complaints/{number:str}/edit")
async def correction_page(request: Request, number: str) -> object:
    row = await _visible_complaint(request, number)
    _may_correct(request, row)
    form = _correction_form(request, row, await queries.departments())
    return await _correction_page(request, row, form)


@post("/complaints/{number:str}/edit")
async def correct(request: Request, number: str) -> object:
    """Correct the record (issue 12 §4); see db/corrections.py for what follows a change."""
    row = await _visible_complaint(request, number)
    _may_correct(request, row)
    departments = await queries.departments()
    form = _correction_form(request, row, departments, await form_data(request))
    if not form.validate():
        if form.version.errors:
            return await _stale_correction(request, number, departments)
        return await _correction_page(
            request, row, form, 422,
            _("Please correct the marked fields. Nothing has been changed."), "error")
    try:
        updated, changed = await correct_record(
            number, user_of(request).viewer, form.version.data, form.values(),
            form.reason.data.strip(), utcnow(), request.app.state.env)
    except NotVisible:
        raise NotFoundException() from None
    except NotPermitted:
        raise PermissionDeniedException() from None
    except NotNow:
        return await _stale_correction(request, number, departments)
    if not changed:
        return await _correction_page(
            request, updated, form, 200,
            _("Nothing to save: every field is as recorded. Nothing has been changed."), "warning")
    return redirect(f"/complaints/{number}", ngettext(
        "The record is corrected: %(num)d field changed, recorded in the history.",
        "The record is corrected: %(num)d fields changed, recorded in the history.",
        len(changed)), request)


async def _stale_correction(request: Request, number: str, departments: list[dict]):
    """409: someone changed the complaint meanwhile; the form shows the latest version."""
    current = await queries.complaint_by_number(number)
    if current is None:
        raise NotFoundException()
    _may_correct(request, current)  # anonymized meanwhile: 409 without the form
    form = _correction_form(request, current, departments)
    sentence = CONFLICT_MESSAGES["stale"]  # the one every stale edit gets
    return await _correction_page(request, current, form, 409, _(sentence), "error")


ROUTES = [complaint_page, correction_page, correct, complaint_action, attachment]
