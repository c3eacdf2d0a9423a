"""The complaint record form (客户投诉登记表, DOMAIN §2). Field names are a public contract."""

from __future__ import annotations

from datetime import datetime

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from pages.forms import PortalForm
from portal.contact import is_valid_email, is_valid_phone
from portal.i18n import _, _l
from portal.policy import Policy

LOG_AND_RESOLVE = "log-and-resolve"
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class IntakeForm(PortalForm):
    customer_name = StringField(_l("Customer name"), [
        InputRequired(_l("Enter the customer's name.")), Length(max=100)])
    customer_phone = StringField(_l("Phone"), [Optional(), Length(max=32)],
                                 render_kw={"type": "tel", "inputmode": "tel",
                                            "autocomplete": "off"})
    customer_email = StringField(_l("Email"), [Optional(), Length(max=255)],
                                 render_kw={"type": "email", "autocomplete": "off"})
    customer_address = StringField(_l("Address or unit"), [Optional(), Length(max=255)])
    channel = SelectField(_l("Channel"), [InputRequired(_l("Choose the channel."))])
    category = SelectField(_l("Category"), [InputRequired(_l("Choose a category."))])
    received_at = DateTimeLocalField(_l("Received at"), [
        InputRequired(_l("Enter when the complaint was received."))], format=DATETIME_FORMATS)
    occurred_at = DateTimeLocalField(_l("Happened at"), [Optional()], format=DATETIME_FORMATS)
    location = StringField(_l("Where it happened"), [Optional(), Length(max=200)])
    product = StringField(_l("Product"), [Optional(), Length(max=200)])
    model_batch = StringField(_l("Model / batch"), [Optional(), Length(max=100)])
    order_no = StringField(_l("Order no."), [Optional(), Length(max=64)])
    purchase_date = DateField(_l("Purchase date"), [Optional()])
    complained_department = SelectField(_l("Department complained about"), [Optional()])
    complained_person = StringField(_l("Person complained about"), [Optional(), Length(max=100)])
    description = TextAreaField(_l("Description"), [
        InputRequired(_l("Describe what the customer complains about.")), Length(max=10000)])
    demand = TextAreaField(_l("Customer's demand"), [Optional(), Length(max=5000)])
    claimed_loss = DecimalField(_l("Claimed loss (CNY)"), [
        Optional(), NumberRange(min=0, message=_l("The loss cannot be negative."))], places=2)
    criteria = SelectMultipleField(_l("Grade criteria met"), [Optional()])
    urgent = BooleanField(_l("Urgent: may affect safety or cause major loss if not handled now"))
    callback_requested = BooleanField(_l("The customer asked to be called back (always revisited)"))
    attachments = MultipleFileField(_l("Attachments (evidence)"))
    # Issue 12: a minor complaint logged and resolved on the spot in one step. The second
    # submit button sends intent=log-and-resolve; only then is the reply required.
    reply = TextAreaField(_l("What the customer was told"), [Optional(), Length(max=10000)],
                          render_kw={"rows": 3})
    intent = StringField()  # sent by the submit button pressed; never rendered

    def __init__(self, formdata=None, *, policy: Policy, departments: list[dict], locale: str,
                 now: datetime, tz, **kwargs) -> None:
        super().__init__(formdata, **kwargs)
        self._now, self._tz = now, tz
        # Only those in use: a retired channel or category is not offered any more.
        self.channel.choices = [("", _("— choose —"))] + [
            (c.code, c.label(locale)) for c in policy.offered("channels")]
        self.category.choices = [("", _("— choose —"))] + [
            (c.code, c.label(locale)) for c in policy.offered("categories")]
        name = "name_en" if locale == "en" else "name_zh"
        self.complained_department.choices = [("", _("— none —"))] + [
            (d["code"], d[name]) for d in departments if d.get("is_active", True)]
        self.criteria.choices = [
            (c.code, c.label(locale)) for c in policy.criteria if not c.automatic]

    def validate_customer_phone(self, field) -> None:
        if field.data and not is_valid_phone(field.data):
            raise ValidationError(_("Enter a mainland mobile (11 digits) or landline number "
                                    "with area code."))

    def validate_customer_email(self, field) -> None:
        if field.data and not is_valid_email(field.data):
            raise ValidationError(_("Enter a valid email address."))

    def validate_received_at(self, field) -> None:
        if field.data and self.local(field.data) > self._now:
            raise ValidationError(_("The received time cannot be in the future."))

    @property
    def resolving(self) -> bool:
        """The clerk pressed "save and resolve on the spot" (data-action="log-and-resolve")."""
        return self.intent.data == LOG_AND_RESOLVE

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not (self.customer_phone.data or "").strip() and not (
                self.customer_email.data or "").strip():
            self.customer_phone.errors = [*self.customer_phone.errors,
                                          _("Enter a phone number or an email address.")]
            ok = False
        return self._reply_fits_the_button() and ok

    def _reply_fits_the_button(self) -> bool:
        if self.reply is None:  # a form built on this one without the on-the-spot reply
            return True
        reply = (self.reply.data or "").strip()
        if self.resolving and not reply:
            self.reply.errors = [*self.reply.errors,
                                 _("Write down what the customer was told on the spot.")]
            return False
        if reply and not self.resolving:
            # A reply is kept only with the complaint resolved on the spot: never dropped unseen.
            self.reply.errors = [*self.reply.errors,
                                 _("A reply is saved only with “Save and resolve on the spot”. "
                                   "Press that button, or empty this field to save the "
                                   "complaint for the complaint office.")]
            return False
        return True

    def local(self, naive: datetime | None) -> datetime | None:
        """The browser sends local wall time (no zone): read it in the company's zone."""
        return naive.replace(tzinfo=self._tz) if naive else None
