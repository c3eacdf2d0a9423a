from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import UploadFile

from db import queries
from db.commands import (
    IntakeData,
    NotMinor,
    NotNow,
    NotPermitted,
    log_and_resolve,
    log_complaint,
    subject_of,
)
from db.tables import ContactView
from pages.intake.forms import IntakeForm
from portal.attachments import Upload, safe_filename, upload_problems
from portal.grading import UnknownCriterion, grade_for, repeat_rule
from portal.i18n import _, get_locale
from portal.lookup import fill_values, shows_contacts
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


async def _page(request: Request, form: IntakeForm, status: int = 200, file_errors=(),
                resolve_errors=()):
    policy = request.app.state.policy
    selected = {c for c in form.criteria.data or [] if policy.has("criteria", c)}
    return render(
        request, "intake/intake.html", status_code=status, form=form, policy=policy,
        preview=grade_for(selected, policy), selected=selected, file_errors=list(file_errors),
        resolve_errors=list(resolve_errors), nav="intake",
    )


@get("/intake")
async def intake_page(request: Request) -> object:
    request.state.departments = await queries.departments()
    form = _form(request)
    form.received_at.data = utcnow().astimezone(request.app.state.settings.timezone).replace(
        tzinfo=None, second=0, microsecond=0)
    # Issue 12: start from the clerk's last choice (one who never logged one chooses).
    last = await queries.last_choice(user_of(request).id)
    policy = request.app.state.policy
    if last and policy.is_offered("channels", last["channel"]):
        form.channel.data = last["channel"]
    if last and policy.is_offered("categories", last["category"]):
        form.category.data = last["category"]
    return await _page(request, form)


def _not_minor(grade: str, ticked: str | None, policy) -> str:
    label = str(policy.grade(grade).label(get_locale()))
    if (ticked or "M") != "M":
        return _("Only a minor complaint can be resolved on the spot: the ticked criteria make "
                 "this one %(grade)s. Save it so that the complaint office handles it.",
                 grade=label)
    return _("Only a minor complaint can be resolved on the spot: as a second complaint this "
             "one rises to %(grade)s. Save it so that the complaint office handles it.",
             grade=label)


@post("/intake")
async def intake_submit(request: Request) -> object:
    request.state.departments = await queries.departments()
    policy = request.app.state.policy
    raw = await request.form()
    form = _form(request, await form_data(request))
    uploads = []
    for item in raw.getall("attachments", []):
        if isinstance(item, UploadFile) and item.filename:
            uploads.append(Upload(safe_filename(item.filename), await item.read()))
    file_errors = [_(msg, **params) for msg, params in upload_problems(uploads)]
    valid = form.validate()
    ticked = grade_for([c for c in form.criteria.data or [] if policy.has("criteria", c)],
                       policy)
    # DOMAIN §1/§4: only a minor complaint is settled on the spot; said before anything else
    # is tried. A second complaint that rises above Minor is found inside the transaction.
    resolve_errors = [_not_minor(ticked, ticked, policy)] if (
        form.resolving and (ticked or "M") != "M") else []
    if not valid or file_errors or resolve_errors:
        if uploads and not file_errors:
            file_errors = [_("Please attach the files again.")]
        return await _page(request, form, status=422, file_errors=file_errors,
                           resolve_errors=resolve_errors)
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
    user = user_of(request)
    if not form.resolving:
        number = await log_complaint(data, user.id, uploads, utcnow(), policy,
                                     settings.attachments_dir, settings.timezone)
        return redirect(f"/complaints/{number}", _("Complaint %(number)s has been logged.",
                                                    number=number), request)
    try:
        number = await log_and_resolve(data, form.reply.data.strip(), user.viewer, uploads,
                                       utcnow(), request.app.state.env, settings.attachments_dir)
    except NotMinor as exc:
        errors = [_not_minor(exc.grade, ticked, policy)]
    except (NotPermitted, NotNow):  # perform() refused resolve-on-spot: nothing was saved
        errors = [_("This complaint cannot be resolved on the spot. Nothing has been saved.")]
    else:
        return redirect(f"/complaints/{number}", _(
            "Complaint %(number)s has been logged and resolved on the spot.", number=number),
            request)
    return await _page(request, form, status=422,
                       file_errors=[_("Please attach the files again.")] if uploads else [],
                       resolve_errors=errors)


async def _repeat(policy, customer_phone: str, customer_email: str, category: str,
                  product: str, order_no: str, description: str, grade: str | None):
    """DOMAIN §4: the earlier complaint this one would repeat (with why, and the customer's
    other complaints), and the rule that would raise the grade from the ticked one."""
    if not (customer_phone.strip() or customer_email.strip()):
        return None, None, [], None
    # Sliced for the look-up only: what is saved is checked (and refused if too long) on POST.
    matter = Matter(category, product[:200], order_no[:64], description[:5000])
    earlier, why, others = await queries.repeat_of(
        matter, customer_phone.strip(), customer_email.strip(),
        months_before(utcnow(), policy.second_complaint_months))
    rule = repeat_rule(grade or "M", earlier["grade"], policy) if earlier else None
    return earlier, why, others, rule


def _ticked(request: Request, policy) -> list[str]:
    return [c for c in request.query_params.getall("criteria", [])
            if policy.has("criteria", c) and not policy.criterion(c).automatic]


@get("/intake/grade-preview")
async def grade_preview(request: Request, customer_phone: str = "", customer_email: str = "",
                        category: str = "", product: str = "", order_no: str = "",
                        description: str = "") -> object:
    """The grade of the ticked criteria, and the grade it rises to when the customer and
    matter typed so far make it a second complaint (the rule saving would apply)."""
    policy = request.app.state.policy
    codes = request.query_params.getall("criteria", [])
    try:
        grade = grade_for(codes, policy)
    except UnknownCriterion:
        grade = None
    _earlier, _why, _others, rule = await _repeat(
        policy, customer_phone, customer_email, category, product, order_no, description,
        grade)
    return render(request, "intake/_grade_preview.html", preview=grade, rule=rule,
                  policy=policy, headers={"Vary": "HX-Request"})


@get("/intake/second-check")
async def second_check(request: Request, customer_phone: str = "", customer_email: str = "",
                       category: str = "", product: str = "", order_no: str = "",
                       description: str = "", part: str = "") -> object:
    """DOMAIN §4: before saving, say whether this is a second complaint (same customer and a
    similar matter, and what the grade becomes), or only show the customer's recent ones;
    and the grade preview with it (out of band). `part=match`: only the former (asked again
    when a grade criterion changes, while the fieldset asks for the preview), without the
    customer's details to fill in."""
    policy = request.app.state.policy
    user = user_of(request)
    viewer = user.viewer
    preview = grade_for(_ticked(request, policy), policy)
    earlier, why, others, rule = await _repeat(
        policy, customer_phone, customer_email, category, product, order_no, description,
        preview)
    visible = {r["number"] for r in others if can_view(viewer, subject_of(r))}
    # Issue 12: "use this customer's details" fills in from the newest earlier complaint the
    # user may see, and only what that complaint's own page would show them (portal.lookup).
    fill, fill_number = {}, None
    source = None if part == "match" else next((r for r in others if r["number"] in visible),
                                                None)
    if source:
        record = await queries.customer_details(source["id"])
        fill = fill_values(viewer, subject_of(source), record) if record else {}
        fill_number = source["number"]
        if shows_contacts(fill):  # DOMAIN §8: every view of full contact data is logged
            await ContactView(user=user.id, complaint=source["id"], at=utcnow()).save()
    return render(request, "intake/_second_warning.html", earlier=earlier, why=why,
                  others=[r for r in others if not earlier or r["id"] != earlier["id"]],
                  rule=rule, visible=visible, policy=policy,
                  months=policy.second_complaint_months, fill=fill, fill_number=fill_number,
                  fill_contacts=shows_contacts(fill), preview=preview,
                  preview_oob=part != "match")


ROUTES = [intake_page, intake_submit, grade_preview, second_check]
