"""The period picker of /stats (a GET form): a month, a quarter, a year or a range of days,
resolved to a period key, the canonical `period=` of the page's URLs."""

from __future__ import annotations

import re

from wtforms import DateField, HiddenField, IntegerField, SelectField
from wtforms.fields import MonthField
from wtforms.validators import InputRequired, NumberRange, Optional

from pages.forms import PortalForm
from pages.stats.view import (
    FIRST_YEAR,
    LAST_YEAR,
    check_period,
    out_of_range,
    range_problem,
)
from portal import periods
from portal.i18n import _, _l
from portal.periods import Period, PeriodError

KINDS = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "year": _l("Year"),
    "custom": _l("Range of days"),
}
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)


class PeriodForm(PortalForm):
    kind = SelectField(_l("Period"), [InputRequired()], choices=list(KINDS.items()),
                       default="quarter", id="pick-kind")
    month = MonthField(_l("Month"), [Optional()], id="pick-month")
    quarter = SelectField(_l("Quarter"), [Optional()], validate_choice=False, id="pick-quarter")
    year = IntegerField(_l("Year"), [Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)],
                        id="pick-year", render_kw={"min": FIRST_YEAR, "max": LAST_YEAR})
    first = DateField(_l("First day"), [Optional()], name="from", id="pick-from")
    last = DateField(_l("Last day"), [Optional()], name="to", id="pick-to")
    by = HiddenField()

    def __init__(self, *args, quarters: list[Period] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.quarter.choices = [(q.key, periods.name(q)) for q in quarters]
        self.resolved: Period | None = None

    @classmethod
    def showing(cls, period: Period, by: str, quarters: list[Period]) -> PeriodForm:
        """The picker filled in with the period on screen."""
        quarter = periods.quarter_of(period.first)
        return cls(data={"kind": period.kind, "month": period.first, "quarter": quarter.key,
                         "year": period.first.year, "first": period.first,
                         "last": period.last, "by": by}, quarters=quarters)

    def validate(self, extra_validators=None) -> bool:
        """Valid when the fields of the chosen kind name a period; `resolved` is it. The
        fields of the other kinds are ignored (without JavaScript they are sent too)."""
        if not self.kind.validate(self):
            return False
        kind = self.kind.data
        chosen = {"month": [self.month], "quarter": [self.quarter], "year": [self.year],
                  "custom": [self.first, self.last]}[kind]
        if not all([f.validate(self) for f in chosen]):
            return False
        try:
            if kind == "month":
                if not self.month.data:
                    return self._fail(self.month, _("Pick a month."))
                self.resolved = periods.month(self.month.data.year, self.month.data.month)
            elif kind == "quarter":
                found = _QUARTER.match((self.quarter.data or "").strip())
                if not found:
                    return self._fail(self.quarter, _("Pick a quarter."))
                self.resolved = periods.quarter(int(found[1]), int(found[2]))
            elif kind == "year":
                if self.year.data is None:
                    return self._fail(self.year, _("Enter a year."))
                self.resolved = periods.year(self.year.data)
            else:
                if not self.first.data:
                    return self._fail(self.first, _("Enter the first day of the range."))
                if not self.last.data:
                    return self._fail(self.last, _("Enter the last day of the range."))
                if self.last.data < self.first.data or \
                        (self.last.data - self.first.data).days + 1 > periods.MAX_CUSTOM_DAYS:
                    return self._fail(self.last, range_problem(self.first.data, self.last.data))
                self.resolved = periods.custom(self.first.data, self.last.data)
            check_period(self.resolved)
        except ValueError as exc:  # a PeriodError, or a date past year 9999
            field = {"month": self.month, "quarter": self.quarter, "year": self.year}.get(
                kind, self.last)
            self.resolved = None
            return self._fail(field, str(exc) if isinstance(exc, PeriodError) else out_of_range())
        return True

    @staticmethod
    def _fail(field, message: str) -> bool:
        field.errors = [*field.errors, message]
        return False
