"""One small form per workflow action; names are the public contract of the action POSTs."""

from __future__ import annotations

from wtforms import DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from pages.forms import PortalForm
from portal.i18n import _, _l
from portal.labels import INVALID_KINDS
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
            (d["code"], f"{d[name]} ({d['code']})") for d in context["departments"]]
        if not self.department.data and context.get("suggested_department"):
            self.department.data = context["suggested_department"]


class RegradeForm(ActionForm):
    grade = SelectField(_l("Grade"), [InputRequired(_l("Choose a grade."))])
    reason = TextAreaField(_l("Reason"), [
        InputRequired(_l("Give the reason for the grade.")), Length(max=5000)],
        render_kw={"rows": 2})

    def setup(self, context: dict) -> None:
        self.grade.choices = [(g.code, g.label(context["locale"]))
                              for g in context["policy"].grades_by_severity()]
        if not self.grade.data:
            self.grade.data = context["complaint"]["grade"]


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
        if field.data and not parse_number(field.data):
            raise ValidationError(_("A complaint number looks like TS-2026-000123."))
        if field.data:
            field.data = field.data.strip().upper()


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
}
