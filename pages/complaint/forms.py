"""One small form per workflow action; names are the public contract of the action POSTs."""

from __future__ import annotations

from datetime import datetime, time

from wtforms import (
    BooleanField,
    DecimalField,
    Field,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import DateTimeLocalInput, HiddenInput

from pages.forms import PortalForm
from pages.intake.forms import IntakeForm
from pages.survey.forms import SurveyAnswers
from portal.corrections import CORRECTABLE
from portal.i18n import _, _l
from portal.labels import APPEAL_KINDS, ATTEMPT_LABELS, INVALID_KINDS
from portal.numbering import parse_number
from portal.workflow import Action


class ActionForm(PortalForm):
    # Optimistic locking: the version the user saw; a stale one is refused, not overwritten.
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    next = HiddenField()

    def __init__(self, formdata=None, *, context: dict, **kwargs) -> None:
        super().__init__(formdata, **kwargs)
        self.setup(context)

    def setup(self, context: dict) -> None:
        """Fill choices from the page context (departments, grades)."""

    def values(self) -> dict:
        return {name: f.data for name, f in self._fields.items() if name not in ("version", "next")}


class NoteForm(ActionForm):
    note = TextAreaField(_l("Note (optional)"), [Optional(), Length(max=5000)],
                         render_kw={"rows": 2})


class ContactForm(ActionForm):
    note = TextAreaField(_l("What was said with the customer"), [
        InputRequired(_l("Write down what was said with the customer.")), Length(max=5000)],
        render_kw={"rows": 2})


class DispatchForm(ActionForm):
    department = SelectField(_l("Handling department"), [
        InputRequired(_l("Choose the department that must handle it."))])
    note = TextAreaField(_l("Instructions (optional)"), [Optional(), Length(max=5000)],
                         render_kw={"rows": 2})

    def setup(self, context: dict) -> None:
        name = "name_en" if context["locale"] == "en" else "name_zh"
        self.department.choices = [("", _("— choose —"))] + [
            (d["code"], f"{d[name]} ({d['code']})") for d in context["departments"]
            if d.get("is_active", True)]
        if not self.department.data and context.get("suggested_department"):
            self.department.data = context["suggested_department"]


class RegradeForm(ActionForm):
    grade = SelectField(_l("Grade"), [InputRequired(_l("Choose a grade."))])
    urgent = BooleanField(_l("Urgent (may affect safety or cause major loss)"))
    # The page sends this with the checkbox; a client that omits both leaves urgency alone.
    urgent_shown = HiddenField(default="1")
    reason = TextAreaField(_l("Reason"), [
        InputRequired(_l("Give the reason for the grade.")), Length(max=5000)],
        render_kw={"rows": 2})

    def setup(self, context: dict) -> None:
        self.grade.choices = [(g.code, g.label(context["locale"]))
                              for g in context["policy"].grades_by_severity()]
        if not self.grade.data:
            self.grade.data = context["complaint"]["grade"]
        if not self.urgent_shown.raw_data:
            self.urgent.data = bool(context["complaint"]["urgent"])

    def values(self) -> dict:
        values = super().values()
        values.pop("urgent_shown", None)
        values["urgent"] = bool(values["urgent"]) if self.urgent_shown.raw_data else None
        return values


class InvalidForm(ActionForm):
    kind = SelectField(_l("Kind"), [InputRequired()],
                       choices=[(k, v) for k, v in INVALID_KINDS.items()])
    reason = TextAreaField(_l("Reason"), [
        InputRequired(_l("Give the reason.")), Length(max=5000)], render_kw={"rows": 2})
    original = StringField(_l("Original complaint no. (for a duplicate)"), [Optional()],
                           render_kw={"placeholder": "TS-2026-000001"})

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Checked here: Optional() on the field would stop its own validators when empty.
        if self.kind.data == "duplicate" and not (self.original.data or "").strip():
            self.original.errors = [*self.original.errors,
                                    _("Enter the number of the original complaint.")]
            ok = False
        return ok

    def validate_original(self, field) -> None:
        _complaint_number(field)


class SubmitResultForm(ActionForm):
    cause = TextAreaField(_l("Cause"), [InputRequired(_l("Describe the cause.")),
                                        Length(max=10000)], render_kw={"rows": 3})
    solution = TextAreaField(_l("Solution"), [InputRequired(_l("Describe the solution.")),
                                              Length(max=10000)], render_kw={"rows": 3})
    corrective_action = TextAreaField(_l("Corrective action"), [Optional(), Length(max=10000)],
                                      render_kw={"rows": 2})
    compensation = DecimalField(_l("Compensation (CNY)"), [
        Optional(), NumberRange(min=0, message=_l("Compensation cannot be negative."))],
        places=2)


class ReasonForm(ActionForm):
    reason = TextAreaField(_l("Reason"), [InputRequired(_l("Give the reason.")),
                                          Length(max=5000)], render_kw={"rows": 2})


class ReplyForm(ActionForm):
    reply = TextAreaField(_l("Reply to the customer"), [
        InputRequired(_l("Write the reply given to the customer.")), Length(max=10000)],
        render_kw={"rows": 3})


class LocalDateTimeField(Field):
    """A deadline typed in the company's local time: '2026-12-01T17:00' (the browser's
    datetime-local), '2026-12-01 17:00', an ISO time with an offset, or a bare date (meaning
    the end of that working day)."""

    widget = DateTimeLocalInput()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tz = None
        self.date_only = False

    def localize(self, tz, day_end: time) -> None:
        """Called once the form knows the company's zone (after WTForms read the input)."""
        self.tz = tz
        if self.data is not None and self.date_only:
            self.data = datetime.combine(self.data.date(), day_end)
        if self.data is not None and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=tz)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.astimezone(self.tz).strftime("%Y-%m-%dT%H:%M") if self.data else ""

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        try:
            self.data = datetime.fromisoformat(text)
        except ValueError:
            self.data = None
            raise ValueError(self.gettext("Enter a date and time like 2026-12-01 17:00.")) from None
        self.date_only = len(text) == 10


class RequestExtensionForm(ActionForm):
    new_due = LocalDateTimeField(_l("New result deadline"), [
        InputRequired(_l("Enter the new deadline."))])
    reason = TextAreaField(_l("Reason"), [
        InputRequired(_l("Give the reason for the extension.")), Length(max=5000)],
        render_kw={"rows": 2})

    def setup(self, context: dict) -> None:
        self.new_due.localize(context["tz"], context["policy"].work_end)
        self.new_due.description = _("Latest possible: %(cap)s", cap=context["cap_local"]) \
            if context.get("cap_local") else ""


class RequiredNoteForm(ActionForm):
    note = TextAreaField(_l("Note"), [InputRequired(_l("Write a note for the department.")),
                                      Length(max=5000)], render_kw={"rows": 2})


class AppealForm(ActionForm):
    multipart = True
    kind = SelectField(_l("Appeal"), [InputRequired(_l("Choose the kind of appeal."))],
                       choices=list(APPEAL_KINDS.items()))
    reason = TextAreaField(_l("Reason"), [
        InputRequired(_l("Give the reason for the appeal.")), Length(max=5000)],
        render_kw={"rows": 3})
    evidence = MultipleFileField(_l("Evidence (up to 5 files, 10 MB each)"))

    def values(self) -> dict:
        values = super().values()
        values.pop("evidence", None)  # the handler reads the files
        return values


class ReassignForm(DispatchForm):
    def setup(self, context: dict) -> None:
        super().setup(context)
        current = context["complaint"]["department"]
        self.department.choices = [c for c in self.department.choices if c[0] != current]
        if self.department.data == current:
            self.department.data = ""


class RevisitAttemptForm(SurveyAnswers, ActionForm):
    """A revisit call; when the customer was reached, the agent enters their answers."""

    outcome = RadioField(_l("Outcome of the call"), [InputRequired(_l("Choose how the call went."))],
                         choices=list(ATTEMPT_LABELS.items()))
    note = TextAreaField(_l("Note (optional)"), [Optional(), Length(max=5000)],
                         render_kw={"rows": 2})

    def setup(self, context: dict) -> None:
        self.setup_questions(context["policy"].revisit, context["locale"])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.outcome.data == "reached":
            ok = not self.answers_missing() and ok
        return ok

    def values(self) -> dict:
        values = {"outcome": self.outcome.data, "note": self.note.data or ""}
        if self.outcome.data == "reached":
            values.update(self.answers())
        return values


class CloseRevisitForm(ActionForm):
    note = TextAreaField(_l("How it was settled"), [
        InputRequired(_l("Write down how it was settled with the customer.")),
        Length(max=5000)], render_kw={"rows": 2})


class AssignForm(ActionForm):
    assignee = SelectField(_l("Give it to"), [InputRequired(_l("Choose who handles it."))],
                           validate_choice=False)  # perform() checks the person (422)
    note = TextAreaField(_l("Note (optional)"), [Optional(), Length(max=5000)],
                         render_kw={"rows": 2, "maxlength": 5000})

    def setup(self, context: dict) -> None:
        staff = context.get("staff", [])
        self.assignee.choices = [("", _("— choose —"))] + [
            (u["username"], f"{u['display_name']} ({u['username']})") for u in staff]
        current = context["complaint"].get("assignee")
        if not self.assignee.data and current:
            self.assignee.data = next((u["username"] for u in staff if u["id"] == current), None)


def _complaint_number(field) -> None:
    """A complaint number typed by hand: checked and written in capitals."""
    if field.data and not parse_number(field.data):
        raise ValidationError(_("A complaint number looks like TS-2026-000123."))
    if field.data:
        field.data = field.data.strip().upper()


class LinkRepeatForm(ActionForm):
    original = StringField(_l("Earlier complaint no. (the one it repeats)"), [
        InputRequired(_l("Enter the number of the earlier complaint."))],
        render_kw={"placeholder": "TS-2026-000001", "autocomplete": "off"})
    reason = TextAreaField(_l("Reason"), [DataRequired(_l("Give the reason.")), Length(
        max=5000, message=_l("At most 5,000 characters."))],
        render_kw={"rows": 2, "maxlength": 5000})

    def validate_original(self, field) -> None:
        _complaint_number(field)


class UnversionedForm(ActionForm):
    # A note or an urge changes no field: it is never refused as stale.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class CommentForm(UnversionedForm):
    note = TextAreaField(_l("Note"), [InputRequired(_l("Write the note.")), Length(
        max=5000, message=_l("At most 5,000 characters."))],
        render_kw={"rows": 2, "maxlength": 5000})


class UrgeForm(UnversionedForm):
    note = TextAreaField(_l("Message to the department (optional)"), [Optional(), Length(
        max=5000, message=_l("At most 5,000 characters."))],
        render_kw={"rows": 2, "maxlength": 5000})


ACTION_FORMS: dict[Action, type[ActionForm]] = {
    Action.DISPATCH: DispatchForm,
    Action.REGRADE: RegradeForm,
    Action.INVALID: InvalidForm,
    Action.ACKNOWLEDGE: NoteForm,
    Action.START: NoteForm,
    Action.CONTACT: ContactForm,
    Action.SUBMIT_RESULT: SubmitResultForm,
    Action.SIGN_OFF: NoteForm,
    Action.VERIFY: NoteForm,
    Action.SEND_BACK: ReasonForm,
    Action.REPLY: ReplyForm,
    Action.RESOLVE_ON_SPOT: ReplyForm,
    Action.REQUEST_EXTENSION: RequestExtensionForm,
    Action.APPROVE_EXTENSION: NoteForm,
    Action.REFUSE_EXTENSION: RequiredNoteForm,
    Action.APPEAL: AppealForm,
    Action.APPEAL_REASSIGN: ReassignForm,
    Action.APPEAL_UPHOLD: RequiredNoteForm,
    Action.REVISIT_ATTEMPT: RevisitAttemptForm,
    Action.SEND_SURVEY: NoteForm,
    Action.CLOSE_REVISIT: CloseRevisitForm,
    Action.ASSIGN: AssignForm,
    Action.RETURN_TO_HANDLER: ReasonForm,
    Action.NOTE: CommentForm,
    Action.URGE: UrgeForm,
    Action.LINK_REPEAT: LinkRepeatForm,
    Action.UNLINK_REPEAT: ReasonForm,
}


class CorrectionForm(IntakeForm):
    """Correct the record (issue 12 §4): the intake form's own fields, names and checks, plus
    the reason and the version the office saw. Grade criteria and urgency are not corrected
    here: re-grading is its own action."""

    reason = TextAreaField(_l("Reason for the correction"), [
        DataRequired(_l("Give the reason for the correction.")),
        Length(max=5000)], render_kw={"rows": 2})
    # Optimistic locking, as on every action: a stale version is refused, not overwritten.
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def __init__(self, formdata=None, *, complaint: dict, **kwargs) -> None:
        super().__init__(formdata, **kwargs)
        self._logged_at = complaint["logged_at"]
        for name in list(self._fields):
            if name not in (*CORRECTABLE, "reason", "version"):
                delattr(self, name)
        # The record's own values stay choosable even if retired since (a deactivated
        # department, a channel or category taken out of the policy).
        policy, locale = kwargs["policy"], kwargs["locale"]
        for name in ("channel", "category", "complained_department"):
            current = complaint.get(name)
            if current and current not in {code for code, _label in self[name].choices}:
                kind = {"channel": "channels", "category": "categories"}.get(name)
                label = current
                if kind and policy.has(kind, current):  # retired: still named, and flagged
                    label = _("%(name)s (retired)", name=getattr(policy, name)(current).label(
                        locale))
                self[name].choices = [*self[name].choices, (current, label)]

    def validate_received_at(self, field) -> None:
        super().validate_received_at(field)
        if field.data and self.local(field.data) > self._logged_at:
            raise ValidationError(_("The received time cannot be later than when the complaint "
                                    "was logged."))

    def values(self) -> dict:
        """The corrected values, times read in the company's zone (portal.corrections
        trims and normalises them)."""
        values = {name: self[name].data for name in CORRECTABLE}
        values["received_at"] = self.local(self.received_at.data)
        values["occurred_at"] = self.local(self.occurred_at.data)
        return values

