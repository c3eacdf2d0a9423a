"""The satisfaction survey's answers (DOMAIN §5). Field names are a public contract:
overall, speed, attitude (1–5), solved (yes/no), comments. The questions' wording and
which are asked come from the policy."""

from __future__ import annotations

from wtforms import RadioField, TextAreaField
from wtforms.validators import Length, Optional

from pages.forms import PortalForm
from portal.i18n import _, _l
from portal.labels import SCALE_LABELS
from portal.revisit import SCALE, RevisitRules

ANSWER_FIELDS = ("overall", "speed", "attitude", "solved", "comments")
SCALE_CHOICES = [(n, SCALE_LABELS[n]) for n in SCALE]
YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


def _scale(label: str) -> RadioField:
    return RadioField(label, [Optional()], choices=SCALE_CHOICES, coerce=int)


class SurveyAnswers:
    """The answer fields, mixed into a form; call setup_questions() after construction."""

    overall = _scale(_l("Overall satisfaction with the result"))
    speed = _scale(_l("Speed of handling"))
    attitude = _scale(_l("Staff attitude"))
    solved = RadioField(_l("Problem solved"), [Optional()], choices=YES_NO)
    comments = TextAreaField(_l("Comments"), [Optional(), Length(max=2000)],
                             render_kw={"rows": 3})

    def setup_questions(self, rules: RevisitRules, locale: str) -> None:
        """Only the policy's questions, in its wording; required ones marked."""
        self.questions = rules.questions
        asked = set(rules.question_codes())
        for name in ANSWER_FIELDS:
            if name not in asked:
                del self[name]
        for q in rules.questions:
            self[q.code].label.text = q.label(locale)
            self[q.code].flags.required = q.required

    def answers_missing(self) -> bool:
        """Marks each unanswered required question; True when any is missing."""
        missing = False
        for q in self.questions:
            field = self[q.code]
            if q.required and field.data in (None, "") and not field.errors:
                field.errors = [*field.errors, _("Please answer this question.")]
                missing = True
        return missing

    def answers(self) -> dict:
        out = {}
        for name in ANSWER_FIELDS:
            if name not in self:
                continue
            value = self[name].data
            if name == "solved":
                value = {"yes": True, "no": False}.get(value)
            elif name == "comments":
                value = (value or "").strip()
            out[name] = value
        return out


class SurveyForm(SurveyAnswers, PortalForm):
    """The customer's own form at /survey/{token}."""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return not self.answers_missing() and ok
