"""The leaderboard's forms; field names are the public contract of its POSTs."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from pages.forms import PortalForm
from portal.i18n import _l


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _user_id(value) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() else None


class StarForm(PortalForm):
    """name-star: the employee, the citation, and (to change an award) the reason.
    `replaces` carries the award the CS head saw, so a decision made meanwhile by someone
    else is never overwritten unseen."""

    user = SelectField(_l("Service star of the quarter"), [
        InputRequired(_l("Choose who is the service star of the quarter."))],
        coerce=_user_id, validate_choice=False, id="star-user")
    citation = TextAreaField(_l("Citation"), [
        DataRequired(_l("Write the citation: what this person did to earn the award.")),
        Length(max=1000)], filters=[_strip], render_kw={"rows": 3}, id="star-citation",
        description=_l("Shown on the leaderboard and in the history of stars."))
    reason = TextAreaField(_l("Reason for the change"), [Length(max=1000)],
                           filters=[_strip], render_kw={"rows": 2}, id="star-reason")
    replaces = HiddenField()

    def setup(self, ranked: list[tuple[int, str]], others: list[tuple[int, str]],
              ranked_label: str, others_label: str, placeholder: str) -> None:
        """The choices: the ranked employees first, then the other active handlers."""
        choices: dict = {"": [("", placeholder)]}
        if ranked:
            choices[ranked_label] = ranked
        if others:
            choices[others_label] = others
        self.user.choices = choices
        self._allowed = {uid for uid, _label in ranked + others}

    def validate_user(self, field) -> None:
        if field.data not in getattr(self, "_allowed", set()):
            raise ValidationError(_l("Choose one of the listed employees."))

    def validate_reason(self, field) -> None:
        if self.replaces.data and not field.data:
            raise ValidationError(_l("A star has already been named for this quarter: give "
                                     "the reason for changing the award."))

    @property
    def replaces_id(self) -> int | None:
        return _user_id(self.replaces.data)


class ReopenForm(PortalForm):
    reason = TextAreaField(_l("Reason for reopening"), [
        DataRequired(_l("Give the reason for reopening the quarter.")), Length(max=1000)],
        filters=[_strip], render_kw={"rows": 2}, id="reopen-reason")


class CloseForm(PortalForm):
    """close-quarter has no fields: the CSRF token (checked by the middleware) is enough."""
