import copy
import re
import tomllib

import pytest

from portal.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, parse_policy

RAW = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
DEPTS = {"QA", "TECH", "SVC", "SALES", "PROD"}


def test_the_shipped_policy_loads():
    policy = load_policy(department_codes=DEPTS)
    assert [g.code for g in policy.grades_by_severity()] == ["I", "II", "M"]
    assert policy.channel("phone").label("zh_CN") == "电话"
    assert policy.channel("phone").label("en") == "Phone hotline"
    assert len(policy.criteria) == 18
    assert [c.code for c in policy.manual_criteria("I")] == ["I-1", "I-2", "I-3", "I-4", "I-5", "I-6"]


def _broken(section, index, **changes):
    data = {k: (list(v) if isinstance(v, list) else v) for k, v in RAW.items()}
    data[section] = [dict(x) for x in data[section]]
    data[section][index].update(changes)
    return data


@pytest.mark.parametrize("data,message", [
    (_broken("channels", 0, code=""), "channels[0]"),
    (_broken("channels", 1, code="phone"), "channel code 'phone' appears twice"),
    (_broken("criteria", 0, grade="IX"), "unknown grade 'IX'"),
    (_broken("categories", 0, route="NOPE"), "unknown department 'NOPE'"),
    (_broken("grades", 0, colour="red"), "unknown field"),
    (_broken("grades", 1, rank=3), "distinct positive integer"),
    ({**RAW, "second_complaint_months": 0}, "second_complaint_months"),
    ({**RAW, "channels": "phone"}, "'channels' must be a non-empty list"),
])
def test_invalid_policies_are_refused_naming_the_entry(data, message):
    with pytest.raises(PolicyError, match=re.escape(message)):
        parse_policy(data, DEPTS)


def test_an_unreadable_file_is_refused(tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text("grades = [", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "missing.toml")


def _retired(kind, *codes, value=False):
    data = copy.deepcopy(RAW)
    for item in data[kind]:
        if item["code"] in codes:
            item["active"] = value
    return data


def test_a_retired_channel_or_category_is_kept_but_not_offered():
    policy = parse_policy(_retired("channels", "media") | {
        "categories": _retired("categories", "other")["categories"]}, DEPTS)
    assert policy.channel("media").label("zh_CN") == "媒体报道"  # old complaints keep the name
    assert "media" in [c.code for c in policy.channels]  # statistics keep it
    assert "media" not in [c.code for c in policy.offered("channels")]
    assert not policy.is_offered("channels", "media") and policy.is_offered("channels", "phone")
    assert [c.code for c in policy.offered("categories")] == ["quality", "usage", "service"]
    assert not policy.is_offered("channels", "nope")


def test_retiring_every_channel_or_category_or_a_bad_flag_is_refused():
    with pytest.raises(PolicyError, match="every one of 'channels' is retired"):
        parse_policy(_retired("channels", *(c["code"] for c in RAW["channels"])), DEPTS)
    with pytest.raises(PolicyError, match="every one of 'categories' is retired"):
        parse_policy(_retired("categories", *(c["code"] for c in RAW["categories"])), DEPTS)
    with pytest.raises(PolicyError, match="'active' must be true or false"):
        parse_policy(_retired("channels", "media", value="no"), DEPTS)
    with pytest.raises(PolicyError, match="unknown field"):
        parse_policy(_broken("criteria", 0, active=False), DEPTS)
