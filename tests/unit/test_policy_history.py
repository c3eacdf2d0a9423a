"""/admin/policy/history reads each change as a setting and values in the reader's language:
no dotted setting path, no raw code, span or share."""

from __future__ import annotations

import pytest

from portal.i18n import in_locale
from portal.policy import load_policy
from portal.policy_history import Reader

POLICY = load_policy()
DEPARTMENTS = {"QA": {"code": "QA", "name_zh": "质量部", "name_en": "Quality"},
               "PROD": {"code": "PROD", "name_zh": "生产部", "name_en": ""}}
CHANGES = [
    ["assessment.department_weights.on_time", 35, 40],
    ["assessment.employee_penalty_grades", ["I", "II"], ["I"]],
    ["categories.other.route", "office", "QA"],
    ["categories.usage.route", "complained", "PROD"],
    ["channels.wechat", None, "wechat"],
    ["channels.wechat.en", None, "WeChat"],
    ["channels.wechat.zh", None, "微信"],
    ["criteria.I-2.zh", "媒体进行性质严重的负面报道", "媒体负面报道"],
    ["deadlines.grades.I.acknowledge", "2h", "3h"],
    ["deadlines.grades.II.contact", "1d", "same-day"],
    ["deadlines.urgent.contact", "4h", None],
    ["revisit.questions.comments.required", False, True],
    ["revisit.rates.M", 0.2, 0.3],
    ["session.idle_working_hours", 8, 6],
]


def read(locale: str) -> dict[str, tuple[str, str]]:
    with in_locale(locale):
        return {path: row for (path, _b, _a), row in
                zip(CHANGES, Reader(CHANGES, POLICY, DEPARTMENTS).rows(CHANGES), strict=True)}


def test_every_change_reads_in_chinese():
    rows = read("zh_CN")
    assert rows["deadlines.grades.I.acknowledge"] == ("处理期限 · 一类投诉 · 签收", "2 个工作小时",
                                                      "3 个工作小时")
    assert rows["deadlines.grades.II.contact"][1:] == ("1 个工作日", "当天下班时")
    assert rows["deadlines.urgent.contact"][2] == "—"
    assert rows["revisit.rates.M"][1:] == ("20%", "30%")
    assert rows["categories.other.route"] == ("投诉类别与派单部门 · 其他 · 默认派往",
                                              "由投诉管理部门决定", "质量部")
    assert rows["categories.usage.route"][1:] == ("被投诉部门", "生产部")
    assert rows["channels.wechat"] == ("投诉渠道 · 微信", "—", "已加入")
    assert rows["channels.wechat.en"] == ("投诉渠道 · 微信 · 英文名称", "—", "WeChat")
    assert rows["criteria.I-2.zh"][0] == "投诉等级标准 · I-2 媒体进行性质严重的负面报道 · 中文名称"
    assert rows["assessment.employee_penalty_grades"][1:] == ("一类投诉 / 二类投诉", "一类投诉")
    assert rows["revisit.questions.comments.required"][1:] == ("否", "是")
    assert rows["session.idle_working_hours"][1:] == ("8", "6")


def test_every_change_reads_in_english():
    rows = read("en")
    assert rows["deadlines.grades.I.acknowledge"][1:] == ("2 working hours", "3 working hours")
    assert rows["channels.wechat"][0] == "Channels · WeChat"
    assert rows["categories.usage.route"][2] == "生产部"  # no English name: the Chinese one
    assert rows["assessment.department_weights.on_time"][0] == (
        "Department score weights (add up to 100) · On time")


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_no_row_shows_a_setting_path(locale):
    for setting, _before, _after in read(locale).values():
        assert "." not in setting.replace("I-2", ""), setting


def test_an_unknown_setting_keeps_its_path():
    with in_locale("zh_CN"):
        assert Reader([], POLICY, {}).setting("future.setting") == "future.setting"
