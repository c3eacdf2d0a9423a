"""DOMAIN §5 revisits: the auditable draw, survey outcomes, failed calls, the dates, and the
policy's [revisit] table."""

import hashlib
import hmac
import math
import os
import re
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.numbering import format_number
from portal.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, parse_policy
from portal.revisit import (
    DEFAULT_QUESTIONS,
    DEFAULT_RATES,
    Draw,
    Question,
    RevisitRules,
    RevisitState,
    SurveyOutcome,
    after_failed_attempt,
    draw,
    draw_value,
    parse_record,
    parse_revisit,
    revisit_due,
    survey_expires_at,
    survey_outcome,
    survey_return_at,
)

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_policy().revisit
RAW = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
GRADES = ["I", "II", "M"]
N = 100_000
NUMBERS = [format_number(2026, n) for n in range(1, N + 1)]


@cache
def values(key: str, year: int = 2026) -> tuple[float, ...]:
    """draw_value over 100,000 consecutive numbers of one year (computed once per key)."""
    numbers = NUMBERS if year == 2026 else [format_number(year, n) for n in range(1, N + 1)]
    return tuple(draw_value(key, number) for number in numbers)


def independent_value(key: str, number: str) -> float:
    """The documented algorithm, written out again: the first 8 bytes of
    HMAC-SHA256(key, number), big-endian, over 2**64."""
    digest = hmac.new(key.encode("utf-8"), number.encode("utf-8"), hashlib.sha256).hexdigest()
    return int(digest[:16], 16) / 2**64


# ---- the shipped policy --------------------------------------------------------------------

def test_the_shipped_policy_has_the_revisit_rules():
    assert dict(RULES.rates) == {"I": 1.0, "II": 0.8, "M": 0.2}
    assert RULES.sampling_key == "revisit-draw-2026"
    assert (RULES.due_days, RULES.max_attempts, RULES.survey_return_days,
            RULES.survey_expiry_days, RULES.reopen_limit, RULES.reopen_at_most,
            RULES.satisfied_from) == (7, 3, 5, 14, 2, 2, 4)
    assert RULES.question_codes() == ["overall", "speed", "attitude", "solved", "comments"]
    assert RULES.questions == DEFAULT_QUESTIONS
    assert [q.required for q in RULES.questions] == [True, True, True, True, False]
    assert [q.kind for q in RULES.questions] == ["scale", "scale", "scale", "yes-no", "text"]
    assert RULES.questions[3].label("en") == "Has your problem been solved?"
    assert RULES.questions[3].label("zh_CN") == "您的问题是否已经解决？"


# ---- the draw: proportions -----------------------------------------------------------------

@pytest.mark.parametrize("grade", GRADES)
def test_the_share_drawn_over_100000_numbers_is_within_one_percent_of_the_rate(grade):
    rate = RULES.rates[grade]
    drawn = sum(draw(RULES, number, grade).drawn for number in NUMBERS)
    assert abs(drawn / N - rate) <= 0.01, (grade, rate, drawn / N)


@pytest.mark.parametrize("key,year", [("revisit", 2026), ("another-company-key", 2026),
                                      ("revisit-draw-2026", 2027)])
@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5, 0.8, 0.95])
def test_the_share_holds_for_any_key_year_and_rate(key, year, rate):
    share = sum(v < rate for v in values(key, year)) / N
    assert abs(share - rate) <= 0.01, (key, year, rate, share)


def test_rate_one_always_draws_and_rate_zero_never_does():
    rules = RevisitRules({"all": 1.0, "none": 0.0}, RULES.sampling_key)
    assert all(draw(rules, number, "all").drawn for number in NUMBERS[:20_000])
    assert not any(draw(rules, number, "none").drawn for number in NUMBERS[:20_000])


def test_values_are_in_the_unit_interval_and_spread_evenly():
    vs = values(RULES.sampling_key)
    assert all(0.0 <= v < 1.0 for v in vs)
    assert abs(sum(vs) / N - 0.5) <= 0.01
    deciles = [0] * 10
    for v in vs:
        deciles[int(v * 10)] += 1
    assert all(abs(count / N - 0.1) <= 0.01 for count in deciles), deciles
    assert len(set(vs)) == N  # 64 bits per value: no two numbers collide


# ---- the draw: stable, keyed ---------------------------------------------------------------

@pytest.mark.parametrize("key,number,hex16,value", [
    ("revisit-draw-2026", "TS-2026-000001", "a1ae615ba2f58ce4", 0.6315670822832173),
    ("revisit-draw-2026", "TS-2026-123456", "5bbfe219f00ea45d", 0.35839665539975357),
    ("revisit", "TS-2025-000042", "34898993b83e5b62", 0.20522365433156992),
])
def test_draw_value_is_pinned_to_hmac_sha256(key, number, hex16, value):
    """A change of algorithm (hash, byte order, encoding, scaling) changes these values and
    makes every recorded draw unverifiable."""
    digest = hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()
    assert digest[:16] == hex16
    assert int(hex16, 16) / 2**64 == value
    assert draw_value(key, number) == value
    assert draw_value(key, number) == value  # and again: no state between calls


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40), st.text(max_size=30))
def test_draw_value_is_the_documented_function_of_key_and_number(key, number):
    value = draw_value(key, number)
    assert 0.0 <= value < 1.0
    assert value == draw_value(key, number) == independent_value(key, number)


def test_the_values_are_the_same_in_another_process():
    """Stable across runs: nothing depends on the process (hash seed, time, randomness)."""
    sample = NUMBERS[:2_000:7]
    script = (
        "import sys\n"
        "from portal.revisit import draw_value\n"
        "for n in sys.stdin.read().split():\n"
        "    print(repr(draw_value('revisit-draw-2026', n)))\n"
    )
    for seed in ("0", "12345"):
        out = subprocess.run([sys.executable, "-c", script], input="\n".join(sample), text=True,
                             capture_output=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed},
                             cwd=str(DEFAULT_POLICY_PATH.parent.parent)).stdout.split()
        assert [float(x) for x in out] == [draw_value("revisit-draw-2026", n) for n in sample]


def test_another_sampling_key_selects_other_complaints():
    ours = {n for n, v in zip(NUMBERS, values(RULES.sampling_key), strict=True) if v < 0.2}
    other_rules = RevisitRules(RULES.rates, "another-company-key")
    theirs = {n for n in NUMBERS if draw(other_rules, n, "M").drawn}
    assert ours != theirs
    assert abs(len(theirs) / N - 0.2) <= 0.01
    # the two selections are independent: they overlap on about 0.2 × 0.2 of the numbers
    assert abs(len(ours & theirs) / N - 0.04) <= 0.01
    assert draw(other_rules, "TS-2026-000001", "M").key_id != draw(RULES, "TS-2026-000001",
                                                                       "M").key_id


def test_key_id_names_the_key_without_revealing_it():
    assert RULES.key_id == hashlib.sha256(b"revisit-draw-2026").hexdigest()[:8] == "e4a26109"
    assert re.fullmatch(r"[0-9a-f]{8}", RULES.key_id)
    assert RULES.sampling_key not in RULES.key_id
    ids = {RevisitRules({}, key).key_id for key in ("a", "b", "revisit", "revisit-draw-2026",
                                                    "revisit-draw-2027")}
    assert len(ids) == 5


# ---- forced draws --------------------------------------------------------------------------

def test_a_callback_or_a_reopened_complaint_is_always_drawn():
    never = RevisitRules({"M": 0.0}, RULES.sampling_key)
    for number in NUMBERS[:5_000]:
        plain = draw(never, number, "M")
        assert not plain.drawn
        for flags in ({"callback": True}, {"reopened": True}, {"callback": True, "reopened": True}):
            forced = draw(never, number, "M", **flags)
            assert forced.drawn
            assert (forced.value, forced.rate) == (plain.value, plain.rate)  # still recorded
    # with the shipped rates too: the numbers the M draw leaves out are still revisited
    left_out = [n for n in NUMBERS[:2_000] if not draw(RULES, n, "M").drawn]
    assert len(left_out) > 1_000
    assert all(draw(RULES, n, "M", callback=True).drawn for n in left_out)
    assert all(draw(RULES, n, "M", reopened=True).drawn for n in left_out)


def test_a_grade_missing_from_the_rates_is_always_drawn():
    d = draw(RULES, "TS-2026-000001", "IX")
    assert (d.rate, d.drawn) == (1.0, True)


# ---- the history record --------------------------------------------------------------------

RECORD = re.compile(
    r"HMAC-SHA256\(key (?P<key_id>[0-9a-f]{8}), (?P<number>TS-\d{4}-\d{6})\) → "
    r"(?P<value>\d\.\d{6}) (?P<sign><|≥) (?P<rate>[\d.]+) \(grade (?P<grade>\w+)\)"
    r"(?P<callback> callback=yes)?(?P<reopened> reopened=yes)? → (?P<verdict>revisit|no revisit)$"
)


def test_the_record_holds_every_input_and_the_verdict():
    d = draw(RULES, "TS-2026-000001", "M")
    assert d.record() == ("HMAC-SHA256(key e4a26109, TS-2026-000001) → 0.631567 ≥ 0.20 "
                          "(grade M) → no revisit")
    d = draw(RULES, "TS-2026-123456", "II", callback=True, reopened=True)
    assert d.record() == ("HMAC-SHA256(key e4a26109, TS-2026-123456) → 0.358396 < 0.80 "
                          "(grade II) callback=yes reopened=yes → revisit")


@pytest.mark.parametrize("callback,reopened", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("grade", GRADES)
def test_anyone_holding_the_policy_can_recheck_a_record(grade, callback, reopened):
    """Read each note back, recompute HMAC-SHA256 with the policy's key: same verdict."""
    for number in NUMBERS[:3_000:3]:
        d = draw(RULES, number, grade, callback=callback, reopened=reopened)
        note = d.record()
        assert RULES.sampling_key not in note
        m = RECORD.fullmatch(note)
        assert m, note
        assert m["key_id"] == hashlib.sha256(RULES.sampling_key.encode()).hexdigest()[:8]
        assert (m["number"], m["grade"]) == (number, grade)
        # the value is cut (not rounded) to 6 decimals, so the sign shown is always right
        assert m["value"] == f"{math.floor(d.value * 1e6) / 1e6:.6f}" and m["rate"] == f"{d.rate:.2f}"
        assert (m["callback"] is not None, m["reopened"] is not None) == (callback, reopened)
        recomputed = independent_value(RULES.sampling_key, m["number"])
        assert 0 <= recomputed - float(m["value"]) < 1e-6
        rate = RULES.rates[m["grade"]]
        assert m["sign"] == ("<" if recomputed < rate else "≥")
        verdict = callback or reopened or recomputed < rate
        assert (m["verdict"] == "revisit") == verdict == d.drawn


def test_a_rate_with_more_than_two_decimals_is_recorded_exactly():
    note = Draw("TS-2026-000001", "M", 0.125, "e4a26109", 0.1234, False, False, True).record()
    assert "0.123400 < 0.125 (grade M)" in note
    note = Draw("TS-2026-000001", "M", 1 / 3, "e4a26109", 0.3305, False, False, True).record()
    assert "0.330500 < 0.3333333333333333 (grade M)" in note
    # two decimals stay as they were
    assert " ≥ 0.20 " in Draw("TS-2026-000001", "M", 0.2, "e4a26109", 0.5, False, False,
                              False).record()


@pytest.mark.parametrize("callback,reopened", [(False, False), (True, False), (True, True)])
def test_a_record_reads_back_as_it_was_written(callback, reopened):
    """The history shows the draw in the reader's language from the stored formula."""
    for grade, number in (("M", "TS-2026-000001"), ("II", "TS-2026-123456")):
        d = draw(RULES, number, grade, callback=callback, reopened=reopened)
        read = parse_record(d.record())
        assert (read.number, read.grade, read.key_id) == (number, grade, RULES.key_id)
        assert (read.callback, read.reopened, read.drawn) == (callback, reopened, d.drawn)
        assert f"{read.value} {read.sign} {read.rate}" in d.record()


def test_a_note_that_is_not_a_draw_reads_as_nothing():
    assert parse_record("") is None
    assert parse_record("客户要求回访") is None
    assert parse_record("HMAC-SHA256(key e4a26109, TS-2026-000001) → ?") is None


# ---- survey answers, failed calls, dates ---------------------------------------------------

@pytest.mark.parametrize("overall", [3, 4, 5])
@pytest.mark.parametrize("reopen_count", [0, 1, 2, 5])
def test_a_neutral_or_better_answer_closes(overall, reopen_count):
    assert survey_outcome(overall, reopen_count, RULES) is SurveyOutcome.CLOSE


@pytest.mark.parametrize("overall", [1, 2])
def test_an_unsatisfied_answer_reopens_until_the_limit_then_escalates(overall):
    assert survey_outcome(overall, 0, RULES) is SurveyOutcome.REOPEN
    assert survey_outcome(overall, 1, RULES) is SurveyOutcome.REOPEN
    assert survey_outcome(overall, 2, RULES) is SurveyOutcome.ESCALATE  # reopen_limit = 2
    assert survey_outcome(overall, 3, RULES) is SurveyOutcome.ESCALATE


def test_survey_outcome_follows_the_policy_numbers():
    strict = RevisitRules(RULES.rates, reopen_at_most=3, reopen_limit=0)
    assert survey_outcome(3, 0, strict) is SurveyOutcome.ESCALATE
    assert survey_outcome(4, 0, strict) is SurveyOutcome.CLOSE
    lenient = RevisitRules(RULES.rates, reopen_at_most=1, reopen_limit=5)
    assert survey_outcome(2, 0, lenient) is SurveyOutcome.CLOSE
    assert survey_outcome(1, 4, lenient) is SurveyOutcome.REOPEN
    assert survey_outcome(1, 5, lenient) is SurveyOutcome.ESCALATE


def test_failed_calls_stay_pending_until_max_attempts_then_unreachable():
    assert [after_failed_attempt(n, RULES) for n in range(5)] == [
        RevisitState.PENDING, RevisitState.PENDING, RevisitState.UNREACHABLE,
        RevisitState.UNREACHABLE, RevisitState.UNREACHABLE,
    ]
    once = RevisitRules(RULES.rates, max_attempts=1)
    assert after_failed_attempt(0, once) is RevisitState.UNREACHABLE
    five = RevisitRules(RULES.rates, max_attempts=5)
    assert [after_failed_attempt(n, five) for n in range(5)].count(RevisitState.PENDING) == 4


def test_revisit_and_survey_dates_are_calendar_days_from_the_event():
    friday = datetime(2026, 9, 25, 17, 30, tzinfo=TZ)  # over a weekend and the national holiday
    assert revisit_due(friday, RULES) == datetime(2026, 10, 2, 17, 30, tzinfo=TZ)
    assert survey_return_at(friday, RULES) == datetime(2026, 9, 30, 17, 30, tzinfo=TZ)
    assert survey_expires_at(friday, RULES) == datetime(2026, 10, 9, 17, 30, tzinfo=TZ)
    other = RevisitRules(RULES.rates, due_days=1, survey_return_days=2, survey_expiry_days=90)
    assert revisit_due(friday, other) - friday == timedelta(days=1)
    assert survey_return_at(friday, other) - friday == timedelta(days=2)
    assert survey_expires_at(friday, other) - friday == timedelta(days=90)
    assert survey_return_at(friday, RULES) < survey_expires_at(friday, RULES)


# ---- the [revisit] table -------------------------------------------------------------------

def test_an_empty_table_gives_the_defaults():
    rules = parse_revisit({}, GRADES)
    assert rules == RevisitRules(DEFAULT_RATES)
    assert rules.questions == DEFAULT_QUESTIONS and rules.sampling_key == "revisit"
    # a grade the defaults do not know is always revisited
    assert dict(parse_revisit({}, ["I", "X"]).rates) == {"I": 1.0, "X": 1.0}
    # and a policy without the section loads with them
    data = {k: v for k, v in RAW.items() if k != "revisit"}
    assert parse_policy(data).revisit == RevisitRules(DEFAULT_RATES)


def test_the_shipped_table_parses_to_the_loaded_rules():
    assert parse_revisit(RAW["revisit"], GRADES) == RULES


def test_rates_are_stored_as_floats_and_whole_numbers_accepted():
    rules = parse_revisit({"rates": {"I": 1, "II": 0, "M": 0.5}}, GRADES)
    assert rules.rates == {"I": 1.0, "II": 0.0, "M": 0.5}
    assert all(type(r) is float for r in rules.rates.values())


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_rate_is_accepted_exactly_when_it_is_a_share(rate):
    raw = {"rates": {"I": 1.0, "II": rate, "M": 0.2}}
    if 0 <= rate <= 1:
        assert parse_revisit(raw, GRADES).rates["II"] == rate
    else:
        with pytest.raises(ValueError, match=re.escape("revisit.rates.II")):
            parse_revisit(raw, GRADES)


def _with(**changes) -> dict:
    """The shipped [revisit] table with some entries changed (None: removed)."""
    raw = {**RAW["revisit"], "questions": [dict(q) for q in RAW["revisit"]["questions"]]}
    for name, value in changes.items():
        if value is None:
            raw.pop(name)
        else:
            raw[name] = value
    return raw


def _question(index, **changes) -> dict:
    raw = _with()
    raw["questions"][index].update(changes)
    for name, value in changes.items():
        if value is None:
            raw["questions"][index].pop(name)
    return raw


ALL_QUESTIONS = RAW["revisit"]["questions"]

BAD = [
    ("not-a-table", "revisit must be a table"),
    (_with(rates={"I": 1.5, "II": 0.8, "M": 0.2}), "revisit.rates.I must be a share from 0 to 1"),
    (_with(rates={"I": 1.0, "II": -0.1, "M": 0.2}), "revisit.rates.II must be a share"),
    (_with(rates={"I": 1.0, "II": 0.8, "M": True}), "revisit.rates.M must be a share"),
    (_with(rates={"I": 1.0, "II": 0.8, "M": "0.2"}), "revisit.rates.M must be a share"),
    (_with(rates={"I": 1.0, "II": 0.8, "M": float("nan")}), "revisit.rates.M must be a share"),
    (_with(rates={"I": 1.0, "II": 0.8}), "revisit.rates.M must be a share"),
    (_with(rates={"I": 1.0, "II": 0.8, "M": 0.2, "III": 0.5}), "unknown grade(s) ['III']"),
    (_with(rates=[1.0, 0.8, 0.2]), "revisit.rates must be a table"),
    (_with(sampling_key=""), "revisit.sampling_key must be a non-empty string"),
    (_with(sampling_key=2026), "revisit.sampling_key must be a non-empty string"),
    (_with(due_days=0), "revisit.due_days must be a whole number from 1 to 60"),
    (_with(due_days=61), "revisit.due_days"),
    (_with(due_days=7.5), "revisit.due_days"),
    (_with(due_days="7"), "revisit.due_days"),
    (_with(due_days=True), "revisit.due_days"),
    (_with(max_attempts=0), "revisit.max_attempts must be a whole number from 1 to 10"),
    (_with(max_attempts=11), "revisit.max_attempts"),
    (_with(survey_return_days=0), "revisit.survey_return_days must be a whole number from 1 to 60"),
    (_with(survey_expiry_days=91), "revisit.survey_expiry_days must be a whole number from 1 to 90"),
    (_with(reopen_limit=-1), "revisit.reopen_limit must be a whole number from 0 to 10"),
    (_with(reopen_at_most=5), "revisit.reopen_at_most must be a whole number from 1 to 4"),
    (_with(reopen_at_most=0), "revisit.reopen_at_most"),
    (_with(satisfied_from=1), "revisit.satisfied_from must be a whole number from 2 to 5"),
    (_with(satisfied_from=6), "revisit.satisfied_from"),
    (_with(questions=[]), "revisit.questions must be a non-empty list"),
    (_with(questions={"code": "overall"}), "revisit.questions must be a non-empty list"),
    (_with(questions=["overall"]), "revisit.questions[0]: 'code' must be one of"),
    (_question(1, code="price"), "revisit.questions[1]: 'code' must be one of"),
    (_question(1, code=None), "revisit.questions[1]: 'code' must be one of"),
    (_question(2, code=["speed"]), "revisit.questions[2]: 'code' must be one of"),
    (_with(questions=ALL_QUESTIONS[1:]), "'overall' is required"),
    (_question(0, required=False), "'overall' is required"),
    (_with(questions=[*ALL_QUESTIONS, ALL_QUESTIONS[1]]), "a question appears twice"),
    (_question(1, zh=None), "revisit.questions[1] (speed): 'zh' is missing or empty"),
    (_question(2, en="  "), "revisit.questions[2] (attitude): 'en' is missing or empty"),
    (_question(3, en=7), "revisit.questions[3] (solved): 'en' is missing or empty"),
    (_question(4, hint="x"), "revisit.questions[4] (comments): unknown field(s) ['hint']"),
    (_question(4, required="false"), "revisit.questions[4] (comments): 'required' must be"),
    (_question(0, required=1), "revisit.questions[0] (overall): 'required' must be"),
]


@pytest.mark.parametrize("raw,message", BAD, ids=[m for _, m in BAD])
def test_a_bad_revisit_table_is_refused_naming_the_entry(raw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_revisit(raw, GRADES)


@pytest.mark.parametrize("raw,message", BAD, ids=[m for _, m in BAD])
def test_the_policy_loader_reports_it_as_a_policy_error(raw, message):
    with pytest.raises(PolicyError, match=re.escape(message)) as refused:
        parse_policy({**RAW, "revisit": raw})
    assert str(refused.value).startswith("policy: revisit")


def test_questions_keep_their_order_wording_and_optional_flag():
    raw = _with(questions=[
        {"code": "solved", "zh": "解决了吗", "en": "Solved?", "required": False},
        {"code": "overall", "zh": "总体", "en": "Overall", "required": True},
        {"code": "comments", "zh": "意见", "en": "Comments"},
    ])
    rules = parse_revisit(raw, GRADES)
    assert rules.questions == (Question("solved", "解决了吗", "Solved?", False),
                               Question("overall", "总体", "Overall", True),
                               Question("comments", "意见", "Comments", True))
    assert rules.question_codes() == ["solved", "overall", "comments"]
    assert rules.questions[1].label("en_GB") == "Overall"
    assert rules.questions[1].label("zh_CN") == "总体"


def test_an_answer_that_reopens_cannot_count_as_satisfied():
    with pytest.raises(ValueError, match="satisfied_from must be above reopen_at_most"):
        parse_revisit({"reopen_at_most": 4, "satisfied_from": 4}, GRADES)
    assert parse_revisit({"reopen_at_most": 3, "satisfied_from": 4}, GRADES).reopen_at_most == 3
