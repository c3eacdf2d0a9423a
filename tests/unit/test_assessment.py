"""DOMAIN §7 quarterly assessment: the department score and grade, failing twice, the employee
score, ranks, and the policy's [assessment] table."""

import math
import re
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.assessment import (
    DEPARTMENT_COMPONENTS,
    EMPLOYEE_COMPONENTS,
    AssessmentRules,
    Grade,
    department_score,
    employee_score,
    failing_twice,
    grade_of,
    parse_assessment,
    ranks,
    weighted,
)
from portal.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, parse_policy

RAW = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
GRADES = ["I", "II", "M"]
RULES = AssessmentRules()
SHARES = st.none() | st.floats(0, 1)


# --- department score -----------------------------------------------------------------------

def test_a_department_score_with_every_measure():
    score = department_score(0.9, 0.8, 1.0, 0.1, RULES)
    assert score.total == 88.0  # 35×0.9 + 35×0.8 + 15×1.0 + 15×0.9
    assert grade_of(score.total, RULES) is Grade.PASS
    assert [c.code for c in score.components] == list(DEPARTMENT_COMPONENTS)
    low_repeat = score.component("low_repeat")
    assert low_repeat.measure == pytest.approx(0.9)  # 1 − repeat rate
    assert low_repeat.points == pytest.approx(13.5)
    assert score.component("on_time").points == pytest.approx(31.5)
    assert score.component("satisfaction").points == pytest.approx(28.0)
    assert score.component("first_time").points == pytest.approx(15.0)
    assert score.penalty == 0.0


def test_a_perfect_department_scores_100_and_is_excellent():
    score = department_score(1.0, 1.0, 1.0, 0.0, RULES)
    assert score.total == 100.0
    assert grade_of(score.total, RULES) is Grade.EXCELLENT


def test_the_worst_department_scores_0_and_fails():
    score = department_score(0.0, 0.0, 0.0, 1.0, RULES)
    assert score.total == 0.0
    assert grade_of(score.total, RULES) is Grade.FAIL


@pytest.mark.parametrize("total,grade", [
    (100, Grade.EXCELLENT), (90, Grade.EXCELLENT), (90.0, Grade.EXCELLENT),
    (89.9, Grade.PASS), (70, Grade.PASS), (70.0, Grade.PASS),
    (69.9, Grade.FAIL), (0, Grade.FAIL),
])
def test_grade_thresholds(total, grade):
    assert grade_of(total, RULES) is grade


def test_grades_follow_the_policy_thresholds():
    strict = AssessmentRules(excellent_from=95, pass_from=80)
    assert grade_of(94.9, strict) is Grade.PASS
    assert grade_of(95, strict) is Grade.EXCELLENT
    assert grade_of(79.9, strict) is Grade.FAIL


def test_grade_values():
    assert [g.value for g in Grade] == ["excellent", "pass", "fail"]


def test_a_measure_without_data_is_left_out_and_the_others_scaled_to_100():
    score = department_score(0.9, None, 1.0, 0.1, RULES)  # nobody answered a survey
    satisfaction = score.component("satisfaction")
    assert (satisfaction.measure, satisfaction.weight) == (None, 35)
    assert (satisfaction.effective_weight, satisfaction.points) == (0.0, 0.0)
    effective = {c.code: c.effective_weight for c in score.components}
    assert effective == pytest.approx(
        {"on_time": 35 / 0.65, "satisfaction": 0, "first_time": 15 / 0.65, "low_repeat": 15 / 0.65})
    assert sum(effective.values()) == pytest.approx(100)
    # (35×0.9 + 15×1.0 + 15×0.9) / 65 × 100 = 60 / 65 × 100 = 92.307…
    assert score.total == 92.3
    assert score.component("on_time").weight == 35  # the policy's weight is kept for the breakdown


def test_a_repeat_rate_without_data_leaves_out_the_low_repeat_part():
    score = department_score(1.0, 1.0, 1.0, None, RULES)
    assert score.component("low_repeat").measure is None
    assert score.total == 100.0


def test_a_department_without_any_data_scores_0():
    score = department_score(None, None, None, None, RULES)
    assert score.total == 0.0
    assert all(c.effective_weight == 0 and c.points == 0 for c in score.components)
    assert [c.weight for c in score.components] == [35, 35, 15, 15]


@pytest.mark.parametrize("args,code", [
    ((1.1, 1, 1, 0), "on_time"),
    ((-0.1, 1, 1, 0), "on_time"),
    ((1, 2, 1, 0), "satisfaction"),
    ((1, 1, -0.5, 0), "first_time"),
    ((1, 1, 1, 1.5), "low_repeat"),  # 1 − 1.5
    ((1, 1, 1, -0.2), "low_repeat"),
    ((math.nan, 1, 1, 0), "on_time"),
    ((math.inf, 1, 1, 0), "on_time"),
])
def test_measures_outside_0_to_1_are_refused(args, code):
    with pytest.raises(ValueError, match=f"^{code}: a measure is a share from 0 to 1"):
        department_score(*args, RULES)


def test_totals_are_rounded_to_a_tenth():
    score = department_score(1 / 3, 1 / 3, 1 / 3, 2 / 3, RULES)  # 33.333…
    assert score.total == 33.3
    assert department_score(0.8567, 1, 1, 0, RULES).total == 95.0  # 94.98…
    assert department_score(0.123, 0, 0, 1, RULES).total == 4.3  # 4.305


def test_totals_are_clamped_to_0_and_100():
    assert weighted({"a": 1.0, "b": 1.0}, {"a": 60, "b": 40}).total == 100.0
    assert weighted({"a": 0.1}, {"a": 100}, penalty=50).total == 0.0
    assert weighted({"a": 1.0}, {"a": 100}, penalty=-5).total == 100.0


@given(SHARES, SHARES, SHARES, SHARES)
def test_the_breakdown_explains_the_total(on_time, satisfaction, first_time, repeat):
    score = department_score(on_time, satisfaction, first_time, repeat, RULES)
    assert 0 <= score.total <= 100
    assert score.total == round(score.total, 1)
    for c in score.components:
        if c.measure is None:
            assert c.points == c.effective_weight == 0
        else:
            assert 0 <= c.measure <= 1
            assert c.points == pytest.approx(c.effective_weight * c.measure)
    present = [c for c in score.components if c.measure is not None]
    if present:
        assert sum(c.effective_weight for c in score.components) == pytest.approx(100)
        assert abs(sum(c.points for c in score.components) - score.total) <= 0.05 + 1e-9
    else:
        assert score.total == 0


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_a_better_measure_never_lowers_the_score(a, b, c, d):
    base = department_score(a, b, c, d, RULES).total
    assert department_score(1.0, b, c, d, RULES).total >= base
    assert department_score(a, b, c, 0.0, RULES).total >= base  # a lower repeat rate is better


# --- failing twice --------------------------------------------------------------------------

@pytest.mark.parametrize("grade,previous,flagged", [
    (Grade.FAIL, Grade.FAIL, True),
    (Grade.FAIL, Grade.PASS, False),
    (Grade.FAIL, Grade.EXCELLENT, False),
    (Grade.FAIL, None, False),  # no previous quarter
    (Grade.PASS, Grade.FAIL, False),
    (Grade.EXCELLENT, Grade.FAIL, False),
    (Grade.PASS, Grade.PASS, False),
    (Grade.EXCELLENT, None, False),
])
def test_failing_twice_is_only_fail_after_fail(grade, previous, flagged):
    assert failing_twice(grade, previous) is flagged


# --- employee score -------------------------------------------------------------------------

@pytest.mark.parametrize("mean,share", [(1, 0.0), (5, 1.0), (3, 0.5), (4, 0.75), (2.2, 0.3)])
def test_mean_satisfaction_is_read_from_1_to_5_as_0_to_1(mean, share):
    score = employee_score(None, mean, 0, 0, 0, RULES)
    assert score.component("satisfaction").measure == pytest.approx(share)
    assert score.total == round(100 * share, 1)  # the only part with data


def test_an_employee_score_with_every_measure():
    score = employee_score(0.9, 4.6, 12, 16, 0, RULES)
    assert [c.code for c in score.components] == list(EMPLOYEE_COMPONENTS)
    assert score.component("volume").measure == 0.75  # resolved / most resolved
    # 40×0.9 + 40×0.9 + 20×0.75 = 36 + 36 + 15
    assert score.total == 87.0
    assert score.penalty == 0.0


def test_the_busiest_employee_gets_full_volume():
    assert employee_score(1.0, 5, 16, 16, 0, RULES).total == 100.0


def test_penalty_points_for_complaints_against_the_employee():
    score = employee_score(0.9, 4.6, 12, 16, 2, RULES)
    assert score.penalty == 10.0  # 2 × 5 points
    assert score.total == 77.0
    assert sum(c.points for c in score.components) == pytest.approx(87.0)  # before the penalty
    assert employee_score(0.9, 4.6, 12, 16, 2, AssessmentRules(employee_penalty=2.5)).total == 82.0


def test_the_penalty_does_not_take_a_score_below_0():
    score = employee_score(0.1, 1.5, 1, 20, 10, RULES)
    assert score.penalty == 50.0
    assert score.total == 0.0


def test_without_a_ranked_colleague_volume_is_left_out():
    score = employee_score(0.8, 5, 0, 0, 0, RULES)
    volume = score.component("volume")
    assert volume.measure is None
    assert volume.effective_weight == volume.points == 0
    assert score.component("on_time").effective_weight == pytest.approx(50)
    assert score.total == 90.0  # (40×0.8 + 40×1) / 80 × 100


def test_an_employee_without_any_data_scores_0_less_nothing():
    score = employee_score(None, None, 0, 0, 0, RULES)
    assert score.total == 0.0


def test_a_mean_satisfaction_outside_1_to_5_is_refused():
    with pytest.raises(ValueError, match="^satisfaction"):
        employee_score(1.0, 5.5, 1, 1, 0, RULES)
    with pytest.raises(ValueError, match="^satisfaction"):
        employee_score(1.0, 0, 1, 1, 0, RULES)


@given(SHARES, st.none() | st.floats(1, 5), st.integers(0, 50), st.integers(0, 50), st.integers(0, 30))
def test_an_employee_score_stays_within_0_to_100(on_time, mean, resolved, extra, against):
    most = resolved + extra
    score = employee_score(on_time, mean, resolved, most, against, RULES)
    assert 0 <= score.total <= 100
    assert score.penalty == against * RULES.employee_penalty
    before = sum(c.points for c in score.components)
    if any(c.measure is not None for c in score.components):
        assert score.total == pytest.approx(max(0.0, min(100.0, before - score.penalty)), abs=0.05 + 1e-9)


# --- ranks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("scores,expected", [
    ([90, 80, 80, 70], [1, 2, 2, 4]),
    ([70, 80, 90, 80], [4, 2, 1, 2]),  # in the order given
    ([88.5], [1]),
    ([50, 50, 50], [1, 1, 1]),
    ([], []),
    ([0.0, 100.0, 99.9], [3, 1, 2]),
])
def test_competition_ranks(scores, expected):
    assert ranks(scores) == expected


@given(st.lists(st.floats(0, 100).map(lambda x: round(x, 1)), max_size=30))
def test_ranks_count_the_better_scores(scores):
    result = ranks(scores)
    assert len(result) == len(scores)
    for s, r in zip(scores, result, strict=True):
        assert r == 1 + sum(other > s for other in scores)
    if scores:
        assert min(result) == 1
        best_first = sorted(zip(scores, result, strict=True), key=lambda p: -p[0])
        assert [r for _, r in best_first] == sorted(result)


# --- the policy's [assessment] table --------------------------------------------------------

def test_defaults_from_an_empty_table():
    assert parse_assessment({}, GRADES) == AssessmentRules()


def test_the_shipped_table_is_the_default():
    assert parse_assessment(RAW["assessment"], GRADES) == AssessmentRules()
    assert load_policy().assessment == AssessmentRules()


def test_the_default_rules():
    assert RULES.department_weights == {"on_time": 35, "satisfaction": 35, "first_time": 15, "low_repeat": 15}
    assert RULES.employee_weights == {"on_time": 40, "satisfaction": 40, "volume": 20}
    assert (RULES.excellent_from, RULES.pass_from) == (90, 70)
    assert (RULES.employee_min_resolved, RULES.employee_penalty) == (5, 5)
    assert RULES.employee_penalty_grades == ("I", "II")


def test_a_valid_table_is_read_into_floats():
    rules = parse_assessment({
        "department_weights": {"on_time": 40, "satisfaction": 30, "first_time": 20.5, "low_repeat": 9.5},
        "employee_weights": {"on_time": 50, "satisfaction": 50, "volume": 0},
        "excellent_from": 85, "pass_from": 60.5, "employee_min_resolved": 3,
        "employee_penalty": 0, "employee_penalty_grades": ["I"],
    }, GRADES)
    assert rules.department_weights == {"on_time": 40, "satisfaction": 30, "first_time": 20.5, "low_repeat": 9.5}
    assert all(type(w) is float for w in rules.department_weights.values())
    assert rules.employee_weights == {"on_time": 50.0, "satisfaction": 50.0, "volume": 0.0}
    assert (rules.excellent_from, rules.pass_from) == (85.0, 60.5)
    assert type(rules.excellent_from) is float
    assert (rules.employee_min_resolved, rules.employee_penalty) == (3, 0.0)
    assert rules.employee_penalty_grades == ("I",)
    assert parse_assessment({"employee_penalty_grades": []}, GRADES).employee_penalty_grades == ()


@pytest.mark.parametrize("name,value", [
    ("excellent_from", 100), ("pass_from", 0.1), ("employee_min_resolved", 1),
    ("employee_min_resolved", 1000), ("employee_penalty", 100), ("employee_penalty", 0),
])
def test_limits_that_are_accepted(name, value):
    assert getattr(parse_assessment({name: value}, GRADES), name) == value


DEPT = dict(RULES.department_weights)


@pytest.mark.parametrize("raw,message", [
    ({"department_weights": {**DEPT, "volume": 0}}, "assessment.department_weights must give exactly"),
    ({"department_weights": {k: v for k, v in DEPT.items() if k != "low_repeat"}},
     "assessment.department_weights must give exactly on_time, satisfaction, first_time, low_repeat"),
    ({"department_weights": [35, 35, 15, 15]}, "assessment.department_weights must give exactly"),
    ({"department_weights": {**DEPT, "on_time": "35"}}, "assessment.department_weights.on_time"),
    ({"department_weights": {**DEPT, "on_time": True}}, "assessment.department_weights.on_time"),
    ({"department_weights": {**DEPT, "on_time": 45, "first_time": -10}},
     "assessment.department_weights.first_time must be a number of points, at least 0"),
    ({"department_weights": {**DEPT, "on_time": math.nan}}, "assessment.department_weights.on_time"),
    ({"department_weights": {**DEPT, "on_time": math.inf}}, "assessment.department_weights must add up to 100"),
    ({"department_weights": {**DEPT, "on_time": 36}}, "assessment.department_weights must add up to 100"),
    ({"department_weights": {k: 0 for k in DEPT}}, "assessment.department_weights must add up to 100"),
    ({"employee_weights": {"on_time": 50, "satisfaction": 50}},
     "assessment.employee_weights must give exactly on_time, satisfaction, volume"),
    ({"employee_weights": {"on_time": 40, "satisfaction": 40, "volume": 20, "repeat": 0}},
     "assessment.employee_weights must give exactly"),
    ({"employee_weights": {"on_time": 40, "satisfaction": 40, "volume": None}}, "assessment.employee_weights.volume"),
    ({"employee_weights": {"on_time": 40, "satisfaction": 40, "volume": 19}},
     "assessment.employee_weights must add up to 100"),
    ({"excellent_from": 0}, "assessment.excellent_from must be a score from 0 to 100"),
    ({"excellent_from": 100.5}, "assessment.excellent_from"),
    ({"excellent_from": "90"}, "assessment.excellent_from"),
    ({"excellent_from": True}, "assessment.excellent_from"),
    ({"excellent_from": math.nan}, "assessment.excellent_from"),
    ({"pass_from": 0}, "assessment.pass_from must be a score from 0 to 100"),
    ({"pass_from": -5}, "assessment.pass_from"),
    ({"pass_from": math.inf}, "assessment.pass_from"),
    ({"pass_from": 90}, "assessment.pass_from must be below assessment.excellent_from"),
    ({"pass_from": 95, "excellent_from": 80}, "assessment.pass_from must be below"),
    ({"employee_min_resolved": 0}, "assessment.employee_min_resolved must be a whole number from 1 to 1000"),
    ({"employee_min_resolved": 1001}, "assessment.employee_min_resolved"),
    ({"employee_min_resolved": 5.0}, "assessment.employee_min_resolved"),
    ({"employee_min_resolved": True}, "assessment.employee_min_resolved"),
    ({"employee_min_resolved": "5"}, "assessment.employee_min_resolved"),
    ({"employee_penalty": -1}, "assessment.employee_penalty must be points from 0 to 100"),
    ({"employee_penalty": 100.1}, "assessment.employee_penalty"),
    ({"employee_penalty": False}, "assessment.employee_penalty"),
    ({"employee_penalty": math.nan}, "assessment.employee_penalty"),
    ({"employee_penalty": "5"}, "assessment.employee_penalty"),
    ({"employee_penalty_grades": ["I", "IX"]}, "assessment.employee_penalty_grades must list grades of"),
    ({"employee_penalty_grades": "I"}, "assessment.employee_penalty_grades"),
    ({"employee_penalty_grades": ["i"]}, "assessment.employee_penalty_grades"),
    ({"employee_penalty_grades": [["I"]]}, "assessment.employee_penalty_grades"),
    ({"employee_penalty_grades": [1]}, "assessment.employee_penalty_grades"),
    ({"star_of_the_quarter": True}, "assessment: unknown setting(s) ['star_of_the_quarter']"),
    ({"weights": {}, "pass": 70}, "assessment: unknown setting(s) ['pass', 'weights']"),
])
def test_invalid_tables_are_refused_naming_the_entry(raw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_assessment(raw, GRADES)


def test_the_penalty_grades_must_be_among_the_policy_grades():
    with pytest.raises(ValueError, match=re.escape("['A', 'B']")):
        parse_assessment({}, ["A", "B"])  # the default ("I", "II") is not among them
    assert parse_assessment({"employee_penalty_grades": ["A"]}, ["A", "B"]).employee_penalty_grades == ("A",)


@pytest.mark.parametrize("raw", ["35", [], None, 35])
def test_the_assessment_must_be_a_table(raw):
    with pytest.raises(ValueError, match="^assessment must be a table"):
        parse_assessment(raw, GRADES)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_weight_is_accepted_exactly_when_it_makes_the_weights_add_up(weight):
    raw = {"employee_weights": {"on_time": 40, "satisfaction": 60 - weight, "volume": weight}}
    values = raw["employee_weights"].values()
    if all(v >= 0 for v in values) and abs(sum(values) - 100) <= 1e-9:
        assert parse_assessment(raw, GRADES).employee_weights["volume"] == weight
    else:
        with pytest.raises(ValueError, match=re.escape("assessment.employee_weights")):
            parse_assessment(raw, GRADES)


def _policy_with(**changes) -> dict:
    """The shipped policy with [assessment] entries changed (None: removed)."""
    table = dict(RAW["assessment"])
    for name, value in changes.items():
        if value is None:
            table.pop(name)
        else:
            table[name] = value
    return {**RAW, "assessment": table}


@pytest.mark.parametrize("changes,message", [
    ({"excellent_from": 101}, "policy: assessment.excellent_from"),
    ({"pass_from": 95}, "policy: assessment.pass_from must be below"),
    ({"department_weights": {**DEPT, "low_repeat": 20}}, "policy: assessment.department_weights must add up"),
    ({"department_weights": {**DEPT, "low_repeat": math.nan}}, "policy: assessment.department_weights.low_repeat"),
    ({"employee_min_resolved": 0}, "policy: assessment.employee_min_resolved"),
    ({"employee_penalty_grades": ["X"]}, "policy: assessment.employee_penalty_grades"),
    ({"employee_penalty_grades": [{"code": "I"}]}, "policy: assessment.employee_penalty_grades"),
    ({"typo": 1}, "policy: assessment: unknown setting(s) ['typo']"),
])
def test_the_policy_refuses_a_bad_assessment_table(changes, message):
    with pytest.raises(PolicyError, match="^" + re.escape(message)):
        parse_policy(_policy_with(**changes))


def test_a_policy_that_is_not_a_table_or_omits_it():
    with pytest.raises(PolicyError, match=re.escape("policy: assessment must be a table")):
        parse_policy({**RAW, "assessment": [1, 2]})
    without = {k: v for k, v in RAW.items() if k != "assessment"}
    assert parse_policy(without).assessment == AssessmentRules()
    assert parse_policy(_policy_with(employee_penalty=2)).assessment.employee_penalty == 2.0
