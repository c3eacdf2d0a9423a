"""DOMAIN §5 revisit (回访) and satisfaction survey: the policy, the auditable draw, and what
a phone attempt or a survey answer does to a complaint. Pure functions."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class RevisitState(StrEnum):
    """Complaint.revisit_state. Empty: not replied yet."""

    NONE = ""
    NOT_DRAWN = "not-drawn"  # closed after the reply
    PENDING = "pending"  # in the phone queue
    SURVEY = "survey"  # an email survey is out
    DONE = "done"  # answered (or closed by the CS head)
    UNREACHABLE = "unreachable"  # too many failed calls
    ESCALATED = "escalated"  # unsatisfied after the last reopen: the CS head's


# The revisit is still to do: the queue's states.
OPEN_STATES = (RevisitState.PENDING, RevisitState.SURVEY)


class AttemptOutcome(StrEnum):
    """Values are the `outcome` field of the revisit-attempt form."""

    REACHED = "reached"
    NO_ANSWER = "no-answer"
    WRONG_NUMBER = "wrong-number"


class SurveyOutcome(StrEnum):
    CLOSE = "close"
    REOPEN = "reopen"
    ESCALATE = "escalate"


# The questions a survey may ask; the codes are the form's field names (a public contract).
SCALE_QUESTIONS = ("overall", "speed", "attitude")
QUESTION_KINDS = {"overall": "scale", "speed": "scale", "attitude": "scale", "solved": "yes-no",
                  "comments": "text"}
SCALE = (5, 4, 3, 2, 1)  # 很满意 … 很不满意


@dataclass(frozen=True)
class Question:
    code: str
    zh: str
    en: str
    required: bool = True

    @property
    def kind(self) -> str:
        return QUESTION_KINDS[self.code]

    def label(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.zh


DEFAULT_QUESTIONS = (
    Question("overall", "您对投诉处理结果的总体满意程度", "Overall, how satisfied are you with the result?"),
    Question("speed", "您对处理速度的满意程度", "How satisfied are you with the speed of handling?"),
    Question("attitude", "您对工作人员服务态度的满意程度",
             "How satisfied are you with the staff's attitude?"),
    Question("solved", "您的问题是否已经解决？", "Has your problem been solved?"),
    Question("comments", "其他意见或建议", "Any other comments or suggestions", required=False),
)


@dataclass(frozen=True)
class RevisitRules:
    rates: Mapping[str, float]  # grade -> probability of a revisit
    sampling_key: str = "revisit"
    due_days: int = 7  # after the reply
    max_attempts: int = 3  # failed calls before "unreachable"
    survey_return_days: int = 5  # an unanswered email survey returns to the phone queue
    survey_expiry_days: int = 14
    reopen_limit: int = 2  # reopens before an unsatisfied customer goes to the CS head
    reopen_at_most: int = 2  # an overall score at most this reopens
    satisfied_from: int = 4  # DOMAIN §6: satisfied = overall at least this
    questions: tuple[Question, ...] = DEFAULT_QUESTIONS

    @property
    def key_id(self) -> str:
        """Names the key in the history without revealing it."""
        return hashlib.sha256(self.sampling_key.encode()).hexdigest()[:8]

    def question_codes(self) -> list[str]:
        return [q.code for q in self.questions]


DEFAULT_RATES = {"I": 1.0, "II": 0.8, "M": 0.2}


def parse_revisit(raw: Mapping, grade_codes: Iterable[str]) -> RevisitRules:
    """Validate the policy's [revisit] table; raises ValueError naming the bad entry."""
    if not isinstance(raw, Mapping):
        raise ValueError("revisit must be a table")
    grade_codes = list(grade_codes)
    rates_raw = raw.get("rates", {g: DEFAULT_RATES.get(g, 1.0) for g in grade_codes})
    if not isinstance(rates_raw, Mapping):
        raise ValueError("revisit.rates must be a table of grade = share")
    rates = {}
    for code in grade_codes:
        rate = rates_raw.get(code)
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ValueError(f"revisit.rates.{code} must be a share from 0 to 1")
        rates[code] = float(rate)
    unknown = set(rates_raw) - set(grade_codes)
    if unknown:
        raise ValueError(f"revisit.rates: unknown grade(s) {sorted(unknown)}")
    key = raw.get("sampling_key", "revisit")
    if not isinstance(key, str) or not key:
        raise ValueError("revisit.sampling_key must be a non-empty string")
    numbers = {}
    for name, default, low, high in (("due_days", 7, 1, 60), ("max_attempts", 3, 1, 10),
                                     ("survey_return_days", 5, 1, 60),
                                     ("survey_expiry_days", 14, 1, 90), ("reopen_limit", 2, 0, 10),
                                     ("reopen_at_most", 2, 1, 4), ("satisfied_from", 4, 2, 5)):
        value = raw.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"revisit.{name} must be a whole number from {low} to {high}")
        numbers[name] = value
    if numbers["satisfied_from"] <= numbers["reopen_at_most"]:
        raise ValueError("revisit.satisfied_from must be above reopen_at_most (an answer that "
                         "reopens a complaint cannot count as satisfied)")
    questions = _questions(raw.get("questions"))
    return RevisitRules(rates, key, questions=questions, **numbers)


def _questions(raw) -> tuple[Question, ...]:
    if raw is None:
        return DEFAULT_QUESTIONS
    if not isinstance(raw, list) or not raw:
        raise ValueError("revisit.questions must be a non-empty list")
    out = []
    for i, q in enumerate(raw):
        where = f"revisit.questions[{i}]"
        if not isinstance(q, Mapping) or not isinstance(q.get("code"), str) \
                or q["code"] not in QUESTION_KINDS:
            raise ValueError(f"{where}: 'code' must be one of {sorted(QUESTION_KINDS)}")
        for name in ("zh", "en"):
            if not isinstance(q.get(name), str) or not q[name].strip():
                raise ValueError(f"{where} ({q['code']}): '{name}' is missing or empty")
        unknown = set(q) - {"code", "zh", "en", "required"}
        if unknown:
            raise ValueError(f"{where} ({q['code']}): unknown field(s) {sorted(unknown)}")
        if not isinstance(q.get("required", True), bool):
            raise ValueError(f"{where} ({q['code']}): 'required' must be true or false")
        out.append(Question(q["code"], q["zh"], q["en"], q.get("required", True)))
    codes = [q.code for q in out]
    if len(set(codes)) != len(codes):
        raise ValueError("revisit.questions: a question appears twice")
    if "overall" not in codes or not out[codes.index("overall")].required:
        raise ValueError("revisit.questions: 'overall' is required (it decides reopening)")
    return tuple(out)


def draw_value(key: str, number: str) -> float:
    """HMAC-SHA256(key, number) read as a number in [0, 1): uniform, stable, and unknowable
    in advance without the key, so nobody can steer which complaints get a revisit."""
    digest = hmac.new(key.encode(), number.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Draw:
    """The revisit draw with every input, so anyone holding the policy can recheck it."""

    number: str
    grade: str
    rate: float
    key_id: str
    value: float
    callback: bool  # the customer asked for a call-back: always revisited
    reopened: bool  # a reopened complaint is followed up until resolved: always revisited
    drawn: bool

    def record(self) -> str:
        """The history note: a formula, the same in every language."""
        forced = " callback=yes" if self.callback else ""
        forced += " reopened=yes" if self.reopened else ""
        sign = "<" if self.value < self.rate else "≥"
        # two decimals unless that would round the rate (0.125, 1/3): then all of it
        rate = f"{self.rate:.2f}" if round(self.rate, 2) == self.rate else repr(self.rate)
        # Cut, not rounded, to 6 decimals: a value just under the rate never reads "0.800000 <".
        shown = f"{math.floor(self.value * 1e6) / 1e6:.6f}"
        return (f"HMAC-SHA256(key {self.key_id}, {self.number}) → {shown} {sign} "
                f"{rate} (grade {self.grade}){forced} → "
                f"{'revisit' if self.drawn else 'no revisit'}")


_RECORD = re.compile(
    r"HMAC-SHA256\(key (?P<key_id>\w+), (?P<number>[^)]+)\) → (?P<value>[0-9.]+) "
    r"(?P<sign>[<≥]) (?P<rate>[0-9.e-]+) \(grade (?P<grade>[^)]+)\)"
    r"(?P<callback> callback=yes)?(?P<reopened> reopened=yes)? → (?P<drawn>revisit|no revisit)")


@dataclass(frozen=True)
class DrawRecord:
    """A stored draw note read back, its figures kept as written (cut, not rounded)."""

    number: str
    grade: str
    rate: str
    key_id: str
    value: str
    sign: str
    callback: bool
    reopened: bool
    drawn: bool


def parse_record(note: str) -> DrawRecord | None:
    """The inputs of a history row written by Draw.record(), or None for any other text: the
    formula is stored once, the same in every language, and read back for the reader."""
    m = _RECORD.fullmatch((note or "").strip())
    if m is None:
        return None
    return DrawRecord(m["number"], m["grade"], m["rate"], m["key_id"], m["value"], m["sign"],
                      bool(m["callback"]), bool(m["reopened"]), m["drawn"] == "revisit")


def draw(rules: RevisitRules, number: str, grade: str, callback: bool = False,
         reopened: bool = False) -> Draw:
    rate = rules.rates.get(grade, 1.0)
    value = draw_value(rules.sampling_key, number)
    drawn = callback or reopened or value < rate
    return Draw(number, grade, rate, rules.key_id, value, callback, reopened, drawn)


def revisit_due(replied_at: datetime, rules: RevisitRules) -> datetime:
    return replied_at + timedelta(days=rules.due_days)


def survey_return_at(sent_at: datetime, rules: RevisitRules) -> datetime:
    return sent_at + timedelta(days=rules.survey_return_days)


def survey_expires_at(sent_at: datetime, rules: RevisitRules) -> datetime:
    return sent_at + timedelta(days=rules.survey_expiry_days)


def after_failed_attempt(failed_before: int, rules: RevisitRules) -> RevisitState:
    """One more failed call: still in the queue, or unreachable at the limit."""
    return RevisitState.UNREACHABLE if failed_before + 1 >= rules.max_attempts else RevisitState.PENDING


def survey_outcome(overall: int, reopen_count: int, rules: RevisitRules) -> SurveyOutcome:
    """DOMAIN §5: a low score reopens the complaint to the same department, at most
    `reopen_limit` times; after that it goes to the customer-service head."""
    if overall > rules.reopen_at_most:
        return SurveyOutcome.CLOSE
    if reopen_count < rules.reopen_limit:
        return SurveyOutcome.REOPEN
    return SurveyOutcome.ESCALATE
