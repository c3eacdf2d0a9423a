import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.grading import UnknownCriterion, grade_for, join_criteria, parse_criteria
from portal.policy import load_policy

POLICY = load_policy()
CODES = [c.code for c in POLICY.criteria]


@pytest.mark.parametrize("code", CODES)
def test_every_criterion_gives_its_own_grade(code):
    assert grade_for([code], POLICY) == code.split("-")[0]


@pytest.mark.parametrize("codes,grade", [
    (["I-1", "II-3"], "I"), (["II-3", "M-1"], "II"), (["M-1", "M-3"], "M"),
    (["M-2", "II-7", "I-5"], "I"), (["II-1", "II-2"], "II"),
])
def test_the_highest_grade_wins(codes, grade):
    assert grade_for(codes, POLICY) == grade


def test_no_criterion_gives_no_grade():
    assert grade_for([], POLICY) is None


def test_an_unknown_criterion_is_an_error():
    with pytest.raises(UnknownCriterion):
        grade_for(["II-3", "X-1"], POLICY)


@given(st.lists(st.sampled_from(CODES), min_size=1))
def test_grade_is_order_independent_and_the_max_by_rank(codes):
    expected = max((POLICY.grade(POLICY.criterion(c).grade) for c in codes), key=lambda g: g.rank)
    assert grade_for(codes, POLICY) == expected.code
    assert grade_for(list(reversed(codes)), POLICY) == expected.code


def test_criteria_are_stored_in_policy_order_without_repeats():
    joined = join_criteria(["M-1", "I-2", "II-3", "I-2"], POLICY)
    assert joined == "I-2,II-3,M-1"
    assert parse_criteria(joined) == ["I-2", "II-3", "M-1"]
    assert parse_criteria("") == []


def test_repeat_rules_i7_and_ii6():
    from portal.grading import escalate, repeat_rule

    policy = load_policy()
    assert repeat_rule("II", "II", policy) == "I-7"
    assert repeat_rule("II", "I", policy) == "I-7"
    assert repeat_rule("M", "M", policy) == "II-6"
    assert repeat_rule("M", "II", policy) is None
    assert repeat_rule("II", "M", policy) is None
    assert repeat_rule("I", "II", policy) is None
    assert repeat_rule("II", None, policy) is None
    assert escalate("II", ["II-1"], "I-7", policy) == ("I", ["II-1", "I-7"])
    assert escalate("M", ["M-1"], "II-6", policy) == ("II", ["M-1", "II-6"])
    assert escalate("I", ["I-1"], "I-8", policy) == ("I", ["I-1", "I-8"])


# -- a repeat link undone or moved (issue 12 §6) --------------------------------------------

def test_undoing_a_link_drops_its_rule_and_recomputes_the_grade_from_the_ticked_criteria():
    from portal.grading import without_repeat

    assert without_repeat("I", ["II-5", "I-7"], POLICY) == ("II", ["II-5"])
    assert without_repeat("II", ["M-1", "II-6"], POLICY) == ("M", ["M-1"])
    assert without_repeat("II", ["II-6"], POLICY) == ("M", [])  # nothing ticked: Minor


def test_undoing_a_link_that_raised_nothing_changes_nothing():
    from portal.grading import without_repeat

    assert without_repeat("I", ["I-3"], POLICY) == ("I", ["I-3"])
    assert without_repeat("II", ["M-1"], POLICY, office_grade="M") == ("II", ["M-1"])


def test_the_offices_regrade_stands_in_for_the_ticked_criteria():
    from portal.grading import without_repeat

    # Minor ticked, re-graded to Class II by the office, then lifted to Class I by I-7.
    assert without_repeat("I", ["M-1", "I-7"], POLICY, office_grade="II") == ("II", ["M-1"])
    assert without_repeat("I", ["II-5", "I-7"], POLICY, office_grade="I") == ("I", ["II-5"])


def test_another_automatic_rule_still_met_keeps_its_grade():
    from portal.grading import without_repeat

    assert without_repeat("I", ["II-5", "I-7", "I-8"], POLICY) == ("I", ["II-5", "I-8"])


def test_a_retired_criterion_counts_for_nothing_when_recomputing():
    from portal.grading import without_repeat

    assert without_repeat("I", ["II-5", "X-9", "I-7"], POLICY) == ("II", ["II-5", "X-9"])


@pytest.mark.parametrize("grade,criteria,linked,earlier,expected", [
    ("II", ["II-5"], False, "II", ("I", ["II-5", "I-7"], "I-7")),       # a new link lifts it
    ("M", ["M-1"], False, "M", ("II", ["M-1", "II-6"], "II-6")),
    ("II", ["II-5"], False, "M", ("II", ["II-5"], None)),               # linked, nothing to apply
    ("II", ["II-5"], False, None, ("II", ["II-5"], None)),              # outside the window
    ("I", ["II-5", "I-7"], True, None, ("II", ["II-5"], None)),         # unlinked
    ("I", ["II-5", "I-7"], True, "II", ("I", ["II-5", "I-7"], "I-7")),  # moved: same rule
    ("II", ["M-1", "II-6"], True, "II", ("M", ["M-1"], None)),          # moved: no rule now
])
def test_relinking(grade, criteria, linked, earlier, expected):
    from portal.grading import relink

    assert relink(grade, criteria, linked, earlier, POLICY) == expected
