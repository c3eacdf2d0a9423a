"""DOMAIN §8: which closed complaints are due for anonymization, and what each field becomes."""

import re
import tomllib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.anonymize import (
    MARK,
    PrivacyRules,
    closed_at_after,
    cutoff,
    history_changes,
    history_note,
    identity_of,
    is_due,
    parse_privacy,
    record_changes,
)
from portal.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, parse_policy

TZ = ZoneInfo("Asia/Shanghai")
THREE = PrivacyRules(3)
RAW = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def closed(at: datetime, status: str = "closed", anonymized_at=None) -> dict:
    return {"status": status, "closed_at": at.astimezone(UTC), "anonymized_at": anonymized_at}


# ---- the policy -------------------------------------------------------------------------

def test_the_shipped_policy_anonymizes_after_three_years():
    assert load_policy().privacy == PrivacyRules(3)
    assert parse_policy({k: v for k, v in RAW.items() if k != "privacy"}).privacy.anonymize_after_years == 3


@pytest.mark.parametrize("value", [-1, 51, 2.5, "3", True, None])
def test_a_bad_number_of_years_stops_start_up_naming_the_setting(value):
    with pytest.raises(PolicyError, match=re.escape("privacy.anonymize_after_years")):
        parse_policy({**RAW, "privacy": {"anonymize_after_years": value}})


def test_an_unknown_privacy_setting_is_refused():
    with pytest.raises(PolicyError, match="privacy: unknown setting"):
        parse_policy({**RAW, "privacy": {"anonymise_after_years": 3}})


def test_zero_years_means_never():
    rules = parse_privacy({"anonymize_after_years": 0})
    assert not rules.enabled
    assert cutoff(local(2040, 1, 1), rules, TZ) is None
    assert not is_due(closed(local(2000, 1, 1)), local(2040, 1, 1), rules, TZ)


# ---- when -------------------------------------------------------------------------------

def test_due_exactly_n_calendar_years_after_closing_not_a_second_before():
    at = local(2026, 3, 5, 10, 0, 0)
    row = closed(at)
    assert not is_due(row, local(2029, 3, 5, 9, 59, 59), THREE, TZ)
    assert is_due(row, local(2029, 3, 5, 10, 0, 0), THREE, TZ)
    assert is_due(row, local(2031, 1, 1), THREE, TZ)
    assert not is_due(row, local(2029, 3, 5, 10), PrivacyRules(4), TZ)


def test_years_count_on_the_company_calendar_and_29_february_counts_to_1_march():
    row = closed(local(2028, 2, 29, 12))
    assert not is_due(row, local(2031, 2, 28, 23, 59, 59), THREE, TZ)
    assert is_due(row, local(2031, 3, 1, 0, 0, 0), THREE, TZ)
    # Closed at 01:00 on 1 March in Shanghai (still 28 February in UTC): due on 1 March.
    early = closed(local(2026, 3, 1, 1))
    assert not is_due(early, local(2029, 3, 1, 0, 59, 59), THREE, TZ)
    assert is_due(early, local(2029, 3, 1, 1), THREE, TZ)


@pytest.mark.parametrize("status", ["closed", "invalid"])
def test_closed_and_invalid_complaints_are_final(status):
    assert is_due(closed(local(2020, 1, 1), status), local(2026, 1, 1), THREE, TZ)


@pytest.mark.parametrize("status", ["replied", "in_progress", "logged", "verified"])
def test_a_complaint_that_is_not_final_is_never_due(status):
    assert not is_due(closed(local(2020, 1, 1), status), local(2026, 1, 1), THREE, TZ)


def test_an_anonymized_complaint_is_not_due_again():
    row = closed(local(2020, 1, 1), anonymized_at=local(2023, 1, 2))
    assert not is_due(row, local(2026, 1, 1), THREE, TZ)


def test_a_reopened_complaint_is_not_closed_and_its_clock_starts_again():
    first = local(2022, 1, 10)
    at = closed_at_after("replied", "closed", None, first)
    assert at == first
    # A note on the closed complaint keeps its closing time.
    assert closed_at_after("closed", "closed", at, local(2023, 5, 1)) == first
    # Reopened after an unsatisfied answer: in progress, no closing time, never due.
    reopened = closed_at_after("closed", "in_progress", at, local(2024, 1, 1))
    assert reopened is None
    assert not is_due({"status": "in_progress", "closed_at": reopened, "anonymized_at": None},
                      local(2030, 1, 1), THREE, TZ)
    # Closed again: the years count from the new closing.
    again = closed_at_after("replied", "closed", None, local(2024, 2, 1))
    row = {"status": "closed", "closed_at": again, "anonymized_at": None}
    assert not is_due(row, local(2027, 1, 31), THREE, TZ)
    assert is_due(row, local(2027, 2, 1), THREE, TZ)


# ---- what -------------------------------------------------------------------------------

RECORD = {
    "customer_name": "张伟", "customer_phone": "13812345678", "customer_email": "zw@example.com",
    "customer_address": "上海市浦东新区张江路 88 号", "order_no": "SO20260037",
    "product": "电热水壶", "model_batch": "KT-1802", "category": "quality", "grade": "II",
    "description": "张先生说底座漏电，回电 138-1234-5678 或 zw@example.com，家住张江路88号。",
    "demand": "换新，身份证 31010119800101123X", "location": "客户家中（上海市浦东新区张江路 88 号）",
    "cause": "来料不良", "solution": "为张伟更换新品", "corrective_action": "",
    "reply": "张先生您好，已为您更换新品。", "invalid_reason": "", "extension_reason": "",
    "appeal_reason": "", "complained_person": "李四", "claimed_loss": 200,
}


def test_the_customer_fields_are_erased_and_the_texts_scrubbed():
    who = identity_of(RECORD)
    changes = record_changes(RECORD, who)
    assert {k: changes[k] for k in ("customer_name", "customer_phone", "customer_email",
                                    "customer_address", "order_no")} == dict.fromkeys(
        ("customer_name", "customer_phone", "customer_email", "customer_address", "order_no"), "")
    assert changes["description"] == f"{MARK}说底座漏电，回电 {MARK} 或 {MARK}，家住{MARK}。"
    assert changes["demand"] == f"换新，身份证 {MARK}"
    assert changes["location"] == f"客户家中（{MARK}）"
    assert changes["solution"] == f"为{MARK}更换新品"
    assert changes["reply"] == f"{MARK}您好，已为您更换新品。"
    # What the statistics and the record of the matter need stays.
    for kept in ("product", "model_batch", "category", "grade", "cause", "complained_person",
                 "claimed_loss", "corrective_action"):
        assert kept not in changes


def test_values_replaced_by_a_correction_and_survey_addresses_are_scrubbed_too():
    edits = [{"customer_phone": ["13900001111", "13812345678"], "customer_name": ["Wei Zhang", "张伟"]}]
    who = identity_of(RECORD, edits, ["old.mail@example.org"])
    text = "Mr Zhang called from 13900001111; wrote from old.mail@example.org"
    assert who.scrub(text) == f"Mr {MARK} called from {MARK}; wrote from {MARK}"


def test_patterns_are_scrubbed_whoever_they_belong_to_but_ordinary_text_stays():
    who = identity_of({"customer_name": "王芳"})
    assert who.scrub("联系 +86 139 8765 4321 或 021-62345678，卡号 6222020200112233445") == \
        f"联系 {MARK} 或 {MARK}，卡号 {MARK}"
    assert who.scrub("138****4321 王女士") == f"{MARK} {MARK}"
    ordinary = "2026-11-24 更换 2 台，赔偿 200.00 元，型号 KT-1802，单号 20260"
    assert who.scrub(ordinary) == ordinary
    assert who.scrub("") == "" and who.scrub(None) is None


def test_latin_values_match_whole_words_only():
    who = identity_of({"customer_name": "Li Na", "customer_email": "", "order_no": "A12"})
    assert who.scrub("Carolina wrote; LI NA called about A12, not BA123") == \
        f"Carolina wrote; {MARK} called about {MARK}, not BA123"


def test_a_one_letter_value_is_not_used_to_scrub():
    who = identity_of({"customer_name": "王", "customer_address": "A"})
    assert who.scrub("A 王 B") == "A 王 B"


def test_history_keeps_the_field_of_a_correction_without_its_values():
    who = identity_of(RECORD)
    changes = {"customer_phone": ["13900001111", "13812345678"], "customer_email": ["", "zw@example.com"],
               "description": ["张伟：漏电", "漏电"], "grade": ["II", "I"], "compensation": ["1234567.00", None]}
    assert history_changes(changes, who) == {
        "customer_phone": [MARK, MARK], "customer_email": ["", MARK],
        "description": [f"{MARK}：漏电", "漏电"], "grade": ["II", "I"],
        "compensation": ["1234567.00", None]}


def test_the_systems_own_records_in_history_notes_are_left_as_they_are():
    who = identity_of(RECORD)
    draw = "HMAC-SHA256(key 1234567, TS-2026-000001) → 0.123456 < 0.80 (grade II) → revisit"
    assert history_note("revisit-draw", draw, who) == draw
    assert history_note("contact", "已致电 13812345678 张先生", who) == f"已致电 {MARK} {MARK}"


def test_the_due_rule_and_the_closing_of_an_old_row_agree_on_utc():
    row = closed(local(2023, 6, 1, 8))
    now = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert is_due(row, now, THREE, TZ)
    assert not is_due(row, now - timedelta(seconds=1), THREE, TZ)


# ---- the policy form ------------------------------------------------------------------------

def test_the_form_field_shows_the_default_and_a_saved_policy_without_it_stays_unchanged():
    from portal.policy_form import PRIVACY_YEARS, apply, fields

    older = {k: v for k, v in RAW.items() if k != "privacy"}  # saved before the setting
    assert fields(older)[PRIVACY_YEARS] == "3" and fields(RAW)[PRIVACY_YEARS] == "3"
    assert "privacy" not in apply(older, {PRIVACY_YEARS: "3"}, {"QA"}).raw
    assert apply(older, {PRIVACY_YEARS: "0"}, {"QA"}).raw["privacy"] == {"anonymize_after_years": 0}
    assert apply(RAW, {PRIVACY_YEARS: " 7 "}, {"QA"}).raw["privacy"] == {"anonymize_after_years": 7}
    for bad in ("-1", "51", "2.5", "x", ""):
        parsed = apply(RAW, {PRIVACY_YEARS: bad}, {"QA"})
        assert PRIVACY_YEARS in parsed.errors and parsed.raw["privacy"] == RAW["privacy"]
    assert PRIVACY_YEARS not in apply(RAW, {}, {"QA"}).errors  # left out: kept
