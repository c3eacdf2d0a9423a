import copy
import re
import tomllib

import pytest

from portal.policy import DEFAULT_POLICY_PATH, PolicyError, parse_policy
from portal.policy_form import apply, field_for_message, fields, flatten

RAW = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
DEPTS = {"QA", "SVC", "TECH", "PROD", "SALES"}


def test_every_contract_field_is_in_the_form():
    names = fields(RAW)
    for g in ("I", "II", "M", "urgent"):
        for d in ("acknowledge", "contact", "result", "cap"):
            assert f"deadlines.{g}.{d}" in names
    for g in ("I", "II", "M"):
        assert f"revisit.rates.{g}" in names
    for part in ("on_time", "satisfaction", "first_time", "low_repeat"):
        assert f"assessment.weights.{part}" in names
    assert "assessment.employee_min_resolved" in names
    assert names["deadlines.I.acknowledge"] == "2h" and names["deadlines.I.contact"] == "same-day"
    assert names["revisit.rates.II"] == "0.8" and names["deadlines.urgent.result"] == ""


def test_posting_the_form_unchanged_changes_nothing():
    parsed = apply(RAW, fields(RAW), DEPTS)
    assert parsed.errors == {}
    assert flatten(parsed.raw) == flatten(RAW)


def test_a_field_left_out_keeps_its_value():
    parsed = apply(RAW, {"revisit.rates.II": "0.5"}, DEPTS)
    assert parsed.errors == {}
    assert parsed.raw["revisit"]["rates"] == {"I": 1.0, "II": 0.5, "M": 0.2}
    assert parsed.raw["deadlines"] == RAW["deadlines"]
    assert RAW["revisit"]["rates"]["II"] == 0.8  # the input document is not touched


@pytest.mark.parametrize("text,share", [("0.5", 0.5), ("1", 1.0), ("0", 0.0), ("80%", 0.8),
                                        ("12.5 %", 0.125), (" 0.25 ", 0.25)])
def test_revisit_rates_as_shares_or_percentages(text, share):
    assert apply(RAW, {"revisit.rates.M": text}, DEPTS).raw["revisit"]["rates"]["M"] == share


@pytest.mark.parametrize("name,text", [
    ("revisit.rates.I", "1.5"), ("revisit.rates.I", "-0.1"), ("revisit.rates.I", "abc"),
    ("revisit.rates.I", "150%"), ("revisit.rates.I", "nan"), ("revisit.rates.I", ""),
    ("deadlines.I.acknowledge", "3x"), ("deadlines.I.acknowledge", ""),
    ("deadlines.I.result", "-2d"), ("deadlines.II.cap", "0h"), ("deadlines.urgent.contact", "soon"),
    ("calendar.work_start", "9am"), ("calendar.work_end", "25:00"),
    ("revisit.due_days", "0"), ("revisit.due_days", "1.5"), ("revisit.max_attempts", "11"),
    ("revisit.satisfied_from", "x"), ("second_complaint_months", "25"),
    ("assessment.weights.on_time", "-5"), ("assessment.weights.on_time", "101"),
    ("assessment.employee_min_resolved", "0"), ("assessment.pass_from", "abc"),
    ("channels.phone.zh", ""), ("channels.phone.en", "x" * 201), ("criteria.I-1.zh", "  "),
    ("categories.quality.route", "NOWHERE"),
])
def test_a_bad_value_gets_a_message_for_its_field(name, text):
    parsed = apply(RAW, {name: text}, DEPTS)
    assert name in parsed.errors and parsed.errors[name]


def test_weights_must_add_up_to_100():
    parsed = apply(RAW, {"assessment.weights.on_time": "40"}, DEPTS)
    assert "assessment.weights.on_time" in parsed.errors
    assert "105" in parsed.errors["assessment.weights.on_time"]
    ok = apply(RAW, {"assessment.weights.on_time": "40", "assessment.weights.satisfaction": "30"},
               DEPTS)
    assert ok.errors == {}
    assert ok.raw["assessment"]["department_weights"]["on_time"] == 40


def test_the_working_day_must_end_after_it_starts():
    parsed = apply(RAW, {"calendar.work_start": "18:00", "calendar.work_end": "09:00"}, DEPTS)
    assert "calendar.work_end" in parsed.errors


def test_satisfied_must_be_above_the_reopen_score():
    parsed = apply(RAW, {"revisit.satisfied_from": "2", "revisit.reopen_at_most": "2"}, DEPTS)
    assert "revisit.satisfied_from" in parsed.errors


def test_the_pass_mark_must_be_below_excellent():
    """Checked here with a message in the reader's language, not left to the start-up check."""
    parsed = apply(RAW, {"assessment.pass_from": "95"}, DEPTS)
    assert parsed.errors == {"assessment.pass_from": "合格分数线须低于优秀分数线。"}
    assert apply(RAW, {"assessment.pass_from": "80"}, DEPTS).errors == {}


def test_deadlines_are_normalised_and_urgent_empty_means_as_the_grade():
    parsed = apply(RAW, {"deadlines.II.result": " 3D ".lower(), "deadlines.urgent.acknowledge": "",
                         "deadlines.urgent.result": "1d"}, DEPTS)
    assert parsed.errors == {}
    assert parsed.raw["deadlines"]["grades"]["II"]["result"] == "3d"
    assert "acknowledge" not in parsed.raw["deadlines"]["urgent"]
    assert parsed.raw["deadlines"]["urgent"]["result"] == "1d"
    parse_policy(parsed.raw, DEPTS)  # and start-up accepts it


def test_labels_routes_and_a_new_channel_and_category():
    parsed = apply(RAW, {
        "channels.phone.zh": "热线电话", "categories.other.route": "SVC",
        "channels.new.code": "app", "channels.new.zh": "手机应用", "channels.new.en": "Mobile app",
        "categories.new.code": "delivery", "categories.new.zh": "配送", "categories.new.en": "Delivery",
        "categories.new.route": "SALES",
    }, DEPTS)
    assert parsed.errors == {}
    policy = parse_policy(parsed.raw, DEPTS)
    assert policy.channel("phone").zh == "热线电话"
    assert policy.channel("app").en == "Mobile app"
    assert policy.category("other").route == "SVC"
    assert policy.category("delivery").route == "SALES"


@pytest.mark.parametrize("code,msg_field", [("Phone", "channels.new.code"), ("phone", "channels.new.code"),
                                            ("a b", "channels.new.code")])
def test_a_new_channel_needs_a_fresh_well_formed_code(code, msg_field):
    parsed = apply(RAW, {"channels.new.code": code, "channels.new.zh": "x", "channels.new.en": "x"},
                   DEPTS)
    assert msg_field in parsed.errors


def test_a_new_entry_needs_both_names():
    parsed = apply(RAW, {"channels.new.code": "app", "channels.new.zh": "", "channels.new.en": "App"},
                   DEPTS)
    assert "channels.new.zh" in parsed.errors


def test_an_empty_new_row_adds_nothing():
    parsed = apply(RAW, {"channels.new.code": "", "channels.new.zh": "", "channels.new.en": ""}, DEPTS)
    assert parsed.errors == {} and len(parsed.raw["channels"]) == len(RAW["channels"])


def test_a_start_up_message_is_placed_next_to_the_field_it_names():
    names = list(fields(RAW))
    assert field_for_message("deadlines.grades.II.cap: '0h' is not a span", names) == \
        "deadlines.II.cap"
    assert field_for_message("revisit.rates.M must be a share from 0 to 1", names) == \
        "revisit.rates.M"
    assert field_for_message("assessment.department_weights must add up to 100", names) \
        .startswith("assessment.weights.")
    assert field_for_message("something else entirely", names) is None


def test_flatten_names_coded_entries_by_code():
    flat = flatten(RAW)
    assert flat["channels.phone.zh"] == "电话"
    assert flat["deadlines.grades.I.acknowledge"] == "2h"
    assert flat["revisit.rates.II"] == 0.8


@pytest.mark.parametrize("posted,name,words", [
    ({"deadlines.M.cap": "1d"}, "deadlines.M.cap", "处理结果期限（3 个工作日）"),
    ({"deadlines.M.result": "8d"}, "deadlines.M.result", "最终期限（7 个工作日）"),
    ({"deadlines.urgent.acknowledge": "same-day"}, "deadlines.urgent.acknowledge",
     "一类投诉的同一期限（2 个工作小时）"),
    ({"deadlines.I.acknowledge": "0.5h"}, "deadlines.I.acknowledge", "1 个工作小时"),
    ({"deadlines.urgent.cap": "2d"}, "deadlines.urgent.cap", "一类投诉的处理结果期限（3 个工作日）"),
    ({"deadlines.urgent.result": "2d", "deadlines.urgent.cap": "1d"}, "deadlines.urgent.cap",
     "2 个工作日"),
])
def test_deadlines_in_an_order_that_makes_no_sense_are_refused_next_to_the_field(posted, name,
                                                                                  words):
    """The start-up rules (portal.deadlines.order_problems), said in the reader's language next
    to the field that was changed."""
    parsed = apply(RAW, posted, DEPTS)
    assert list(parsed.errors) == [name]
    assert words in parsed.errors[name]


def test_a_longer_working_day_makes_hours_fit_where_they_did_not():
    posted = {"deadlines.M.result": "10h", "deadlines.M.cap": "1d"}
    assert "deadlines.M.cap" in apply(RAW, posted, DEPTS).errors
    assert apply(RAW, {**posted, "calendar.work_end": "19:00"}, DEPTS).errors == {}


def test_the_form_and_start_up_agree_on_the_deadline_order():
    for posted in ({"deadlines.II.cap": "1d"}, {"deadlines.urgent.contact": "2d"},
                   {"deadlines.urgent.cap": "2d"}):
        bad = copy.deepcopy(RAW)
        for key, v in posted.items():
            _, grade, step = key.split(".")
            (bad["deadlines"]["urgent"] if grade == "urgent"
             else bad["deadlines"]["grades"][grade])[step] = v
        with pytest.raises(PolicyError):
            parse_policy(bad, DEPTS)
        assert apply(RAW, posted, DEPTS).errors


# Settings of the policy file deliberately not in the form: codes and the fixed structure
# (grade ranks, each criterion's grade and whether the system applies it), and the revisit
# draw's key, a secret (whoever knows it can tell in advance which complaints are revisited).
NOT_IN_THE_FORM = re.compile(r"^(revisit\.sampling_key|grades\.[^.]+\.rank"
                             r"|criteria\.[^.]+\.(grade|automatic))$")


def _form_name_of(path: str) -> str:
    for doc, form in (("deadlines.grades.", "deadlines."),
                      ("assessment.department_weights.", "assessment.weights.")):
        if path.startswith(doc):
            path = form + path.removeprefix(doc)
    if re.fullmatch(r"revisit\.questions\.[^.]+\.required", path):
        path = path.removesuffix(".required") + ".ask"
    return path


def test_every_setting_of_the_policy_file_is_in_the_form_or_deliberately_not():
    names = fields(RAW)
    flat = flatten(RAW)
    entry = re.compile(r"^(grades|channels|categories|criteria|revisit\.questions)\.[^.]+$")
    for path in flat:
        if NOT_IN_THE_FORM.match(path) or entry.match(path):
            continue  # entry.match: the code of an entry (channels.phone = "phone")
        assert _form_name_of(path) in names, path
    assert not any("sampling_key" in n for n in names)


def test_the_deadline_settings_beside_the_table():
    parsed = apply(RAW, {"deadlines.reminder_at": "80%", "deadlines.appeal_window": "2d",
                         "deadlines.dispatch": "4h", "deadlines.unresolved_months": "2"}, DEPTS)
    assert parsed.errors == {}
    rules = parse_policy(parsed.raw, DEPTS).deadlines
    assert rules.reminder_at == 0.8 and rules.unresolved_months == 2
    assert str(rules.appeal_window) == "2d" and str(rules.dispatch) == "4h"
    assert fields(parsed.raw)["deadlines.reminder_at"] == "0.8"


@pytest.mark.parametrize("name,text", [
    ("deadlines.reminder_at", "1"), ("deadlines.reminder_at", "0"), ("deadlines.reminder_at", "x"),
    ("deadlines.reminder_at", "100%"), ("deadlines.appeal_window", ""),
    ("deadlines.appeal_window", "soon"), ("deadlines.dispatch", "0d"),
    ("deadlines.unresolved_months", "0"), ("deadlines.unresolved_months", "25"),
    ("deadlines.unresolved_months", "1.5"), ("grades.I.zh", ""), ("grades.M.en", "x" * 201),
    ("assessment.employee_penalty_grades", "I,X"), ("revisit.questions.speed.zh", " "),
    ("revisit.questions.speed.ask", "sometimes"), ("revisit.questions.overall.ask", "optional"),
    ("revisit.questions.overall.ask", "no"),
])
def test_a_bad_value_of_a_newer_field_gets_a_message_for_its_field(name, text):
    parsed = apply(RAW, {name: text}, DEPTS)
    assert list(parsed.errors) == [name] and parsed.errors[name]


def test_grade_names_are_the_company_s_and_codes_stay():
    parsed = apply(RAW, {"grades.I.zh": "重大投诉", "grades.M.en": "Minor complaint"}, DEPTS)
    assert parsed.errors == {}
    policy = parse_policy(parsed.raw, DEPTS)
    assert policy.grade("I").zh == "重大投诉" and policy.grade("M").en == "Minor complaint"
    assert [g.code for g in policy.grades_by_severity()] == ["I", "II", "M"]


@pytest.mark.parametrize("text,grades", [("I", ["I"]), ("", []), ("M, I", ["I", "M"]),
                                         ("II,I", ["I", "II"])])
def test_the_grades_that_cost_an_employee_points(text, grades):
    parsed = apply(RAW, {"assessment.employee_penalty_grades": text}, DEPTS)
    assert parsed.errors == {}
    assert list(parse_policy(parsed.raw, DEPTS).assessment.employee_penalty_grades) == grades


def _asked(raw) -> list[tuple[str, bool]]:
    return [(q.code, q.required) for q in parse_policy(raw, DEPTS).revisit.questions]


def test_survey_questions_wording_and_whether_they_are_asked():
    parsed = apply(RAW, {"revisit.questions.speed.zh": "处理速度如何？",
                         "revisit.questions.overall.en": "All in all, how satisfied are you?",
                         "revisit.questions.attitude.ask": "no",
                         "revisit.questions.comments.ask": "required",
                         "revisit.questions.solved.ask": "optional"}, DEPTS)
    assert parsed.errors == {}
    rules = parse_policy(parsed.raw, DEPTS).revisit
    assert _asked(parsed.raw) == [("overall", True), ("speed", True), ("solved", False),
                                  ("comments", True)]
    assert rules.questions[1].zh == "处理速度如何？"
    assert rules.questions[0].en == "All in all, how satisfied are you?"
    # Asked again: back in its fixed place, with the wording posted (the form shows the default).
    again = apply(parsed.raw, {"revisit.questions.attitude.ask": "optional",
                               "revisit.questions.attitude.zh": "服务态度如何？"}, DEPTS)
    assert again.errors == {}
    assert _asked(again.raw) == [("overall", True), ("speed", True), ("attitude", False),
                                 ("solved", False), ("comments", True)]
    assert fields(again.raw)["revisit.questions.attitude.zh"] == "服务态度如何？"
    assert fields(parsed.raw)["revisit.questions.attitude.ask"] == "no"


def test_a_question_switched_off_ignores_its_wording_and_the_unchanged_form_changes_nothing():
    parsed = apply(RAW, {"revisit.questions.speed.ask": "no", "revisit.questions.speed.zh": ""},
                   DEPTS)
    assert parsed.errors == {} and "speed" not in [c for c, _r in _asked(parsed.raw)]
    assert flatten(apply(parsed.raw, fields(parsed.raw), DEPTS).raw) == flatten(parsed.raw)


def test_a_policy_without_a_questions_list_gets_none_added_by_an_unchanged_post():
    raw = copy.deepcopy(RAW)
    del raw["revisit"]["questions"]
    assert "questions" not in apply(raw, fields(raw), DEPTS).raw["revisit"]
    changed = apply(raw, {"revisit.questions.comments.ask": "no"}, DEPTS).raw
    assert [q["code"] for q in changed["revisit"]["questions"]] == ["overall", "speed",
                                                                   "attitude", "solved"]


def test_retiring_a_channel_and_a_category_and_bringing_one_back():
    parsed = apply(RAW, {"channels.media.active": "no", "categories.other.active": "no"}, DEPTS)
    assert parsed.errors == {}
    policy = parse_policy(parsed.raw, DEPTS)
    assert not policy.is_offered("channels", "media") and policy.has("channels", "media")
    assert not policy.is_offered("categories", "other")
    assert fields(parsed.raw)["channels.media.active"] == "no"
    back = apply(parsed.raw, {"channels.media.active": "yes"}, DEPTS)
    assert back.errors == {} and "active" not in back.raw["channels"][5]
    assert flatten(apply(RAW, fields(RAW), DEPTS).raw) == flatten(RAW)  # "yes" adds no key


def test_the_last_channel_in_use_stays():
    posted = {f"channels.{c['code']}.active": "no" for c in RAW["channels"]}
    parsed = apply(RAW, posted, DEPTS)
    assert list(parsed.errors) == ["channels.forwarded.active"]
    assert "至少须保留一个在用的投诉渠道" in parsed.errors["channels.forwarded.active"]
    # Already retired but one, then that one: the message goes on it.
    almost = apply(RAW, {**posted, "channels.phone.active": "yes"}, DEPTS).raw
    assert list(apply(almost, {"channels.phone.active": "no"}, DEPTS).errors) == [
        "channels.phone.active"]
    assert apply(RAW, {"categories.quality.active": "retired"}, DEPTS).errors == {
        "categories.quality.active": "请选择在用或停用。"}


def test_a_deactivated_department_is_refused_as_a_new_route():
    inactive = {"PROD"}
    parsed = apply(RAW, {"categories.quality.route": "PROD"}, DEPTS | inactive, inactive)
    assert parsed.errors == {"categories.quality.route":
                             "该部门已停用：请选择在用的部门、被投诉部门或由投诉管理部门决定。"}
    new = apply(RAW, {"categories.new.code": "parts", "categories.new.zh": "配件",
                      "categories.new.en": "Parts", "categories.new.route": "PROD"},
                DEPTS | inactive, inactive)
    assert list(new.errors) == ["categories.new.route"]
    assert apply(RAW, {"categories.quality.route": "PROD"}, DEPTS | inactive).errors == {}


def test_a_route_deactivated_since_it_was_saved_is_kept_until_changed():
    """Posting the form as shown (its select keeps the current value) changes nothing."""
    inactive = {"QA"}  # quality routes to QA in the file
    parsed = apply(RAW, fields(RAW), DEPTS, inactive)
    assert parsed.errors == {} and parsed.raw["categories"][0]["route"] == "QA"
    assert apply(RAW, {"categories.quality.route": "SVC"}, DEPTS, inactive).errors == {}
