from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import UploadFile

from db import queries
from db.commands import IntakeData, log_complaint, subject_of
from pages.intake.forms import IntakeForm
from portal.attachments import Upload, safe_filename, upload_problems
from portal.grading import UnknownCriterion, grade_for, repeat_rule
from portal.i18n import _, get_locale
from portal.repeats import Matter
from portal.timeutil import months_before, utcnow
from portal.web import form_data, redirect, render, user_of
from portal.workflow import can_view


def _form(request: Request, formdata=None) -> IntakeForm:
    state = request.app.state
    return IntakeForm(
        formdata, policy=state.policy, departments=request.state.departments,
        locale=get_locale(), now=utcnow(), tz=state.settings.timezone,
    )


async def _page(request: Request, form: IntakeForm, status: int = 200, file_errors=()):
    policy = request.app.state.policy
    selected = {c for c in form.criteria.data or [] if policy.has("criteria", c)}
    return render(
        request, "intake/intake.html", status_code=status, form=form, policy=policy,
        preview=grade_for(selected, policy), selected=selected, file_errors=list(file_errors),
        nav="intake",
    )


@get("/intake")
async def intake_page(request: Request) -> object:
    request.state.departments = await queries.departments()
    form = _form(request)
    form.received_at.data = utcnow().astimezone(request.app.state.settings.timezone).replace(
        tzinfo=None, second=0, microsecond=0)
    return await _page(request, form)


@post("/intake")
async def intake_submit(request: Request) -> object:
    request.state.departments = await queries.departments()
    raw = await request.form()
    form = _form(request, await form_data(request))
    uploads = []
    for item in raw.getall("attachments", []):
        if isinstance(item, UploadFile) and item.filename:
            uploads.append(Upload(safe_filename(item.filename), await item.read()))
    file_errors = [_(msg, **params) for msg, params in upload_problems(uploads)]
    if not form.validate() or file_errors:
        if uploads and not file_errors:
            file_errors = [_("Please attach the files again.")]
        return await _page(request, form, status=422, file_errors=file_errors)
    settings = request.app.state.settings
    data = IntakeData(
        **{name: (form[name].data or "").strip() for name in (
            "customer_name", "customer_phone", "customer_email", "customer_address", "channel",
            "category", "location", "product", "model_batch", "order_no", "complained_department",
            "complained_person", "description", "demand")},
        received_at=form.local(form.received_at.data),
        occurred_at=form.local(form.occurred_at.data),
        purchase_date=form.purchase_date.data,
        claimed_loss=form.claimed_loss.data,
        criteria=form.criteria.data or [],
        urgent=bool(form.urgent.data),
        callback_requested=bool(form.callback_requested.data),
    )
    number = await log_complaint(data, user_of(request).id, uploads, utcnow(),
                                 request.app.state.policy, settings.attachments_dir,
                                 settings.timezone)
    return redirect(f"/complaints/{number}", _("Complaint %(number)s has been logged.",
                                                number=number), request)


@get("/intake/grade-preview")
async def grade_preview(request: Request) -> object:
    policy = request.app.state.policy
    codes = request.query_params.getall("criteria", [])
    try:
        grade = grade_for(codes, policy)
    except UnknownCriterion:
        grade = None
    return render(request, "intake/_grade_preview.html", preview=grade, policy=policy,
                  headers={"Vary": "HX-Request"})


@get("/intake/second-check")
async def second_check(request: Request, customer_phone: str = "", customer_email: str = "",
                       category: str = "", product: str = "", order_no: str = "",
                       description: str = "") -> object:
    """DOMAIN §4: before saving, say whether this is a second complaint (same customer and a
    similar matter, and what the grade becomes), or only show the customer's recent ones."""
    policy = request.app.state.policy
    viewer = user_of(request).viewer
    criteria = [c for c in request.query_params.getall("criteria", [])
                if policy.has("criteria", c) and not policy.criterion(c).automatic]
    matter = Matter(category, product[:200], order_no[:64], description[:5000])
    earlier, why, others = await queries.repeat_of(
        matter, customer_phone.strip(), customer_email.strip(),
        months_before(utcnow(), policy.second_complaint_months))
    rule = None
    if earlier:
        grade = grade_for(criteria, policy) or "M"
        rule = repeat_rule(grade, earlier["grade"], policy)
    visible = {r["number"] for r in others if can_view(viewer, subject_of(r))}
    return render(request, "intake/_second_warning.html", earlier=earlier, why=why,
                  others=[r for r in others if not earlier or r["id"] != earlier["id"]],
                  rule=rule, visible=visible, policy=policy,
                  months=policy.second_complaint_months)


ROUTES = [intake_page, intake_submit, grade_preview, second_check]
