"""The administrator's calendar form: one date, holiday or working day, and a name."""

from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from pages.forms import PortalForm
from portal.i18n import _l

DAY_KINDS = {
    "holiday": _l("Day off (company or public holiday)"),
    "workday": _l("Working day (make-up day)"),
}


class CalendarDayForm(PortalForm):
    day = DateField(_l("Date"), [InputRequired(_l("Enter a date."))])
    kind = SelectField(_l("Kind"), [InputRequired()], choices=list(DAY_KINDS.items()))
    name = StringField(_l("Name (optional)"), [Optional(), Length(max=64)],
                       render_kw={"placeholder": _l("e.g. company anniversary")})
