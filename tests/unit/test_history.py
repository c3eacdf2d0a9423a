"""A complaint's history rows say their stored codes and values in the reader's language,
old rows included (`处理部门: — → SVC`, `类型: — → invalid` and the draw's `callback=yes` were
shown as stored)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.history import change_text, draw_text
from portal.i18n import in_locale
from portal.policy import load_policy

POLICY = load_policy()
TZ = ZoneInfo("Asia/Shanghai")
DEPARTMENTS = {"SVC": {"code": "SVC", "name_zh": "客服部", "name_en": "Customer service"},
               "QA": {"code": "QA", "name_zh": "质量部", "name_en": ""}}
# Written by db/revisits.py before and after this change: the note is kept as it was stored.
STORED_DRAW = ("HMAC-SHA256(key e4a26109, TS-2026-000113) → 0.556234 < 1.00 (grade I) "
               "callback=yes → revisit")


def local(value: datetime) -> str:
    return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def shown(field, value, locale="zh_CN"):
    with in_locale(locale):
        return change_text(field, value, DEPARTMENTS, POLICY, local)


@pytest.mark.parametrize("field,value,zh,en", [
    ("department", "SVC", "客服部", "Customer service"),
    ("department", "QA", "质量部", "质量部"),  # no English name given: the Chinese one
    ("department", "GONE", "GONE", "GONE"),
    ("grade", "II", "二类投诉", "Class II"),
    ("invalid_kind", "invalid", "无效投诉", "Invalid"),
    ("invalid_kind", "duplicate", "重复投诉", "Duplicate"),
    ("appeal_kind", "not-our-business", "不属于本部门职责", "Not our department's business"),
    ("urgent", True, "是", "yes"),
    ("solved", False, "否", "no"),
    ("compensation", 200, "200.00", "200.00"),
    ("compensation", "1234.5", "1,234.50", "1,234.50"),
    ("extension_due", "2026-11-27 06:30:00+00:00", "2026-11-27 14:30", "2026-11-27 14:30"),
    ("revisit_state", "pending", "待电话回访", "phone queue"),
    ("outcome", "no-answer", "无人接听", "No answer"),
    ("overall", 2, "2 · 不满意", "2 · Dissatisfied"),
    ("assignee", "孙丽（质量部）", "孙丽（质量部）", "孙丽（质量部）"),
    ("duplicate_of", None, "—", "—"),
])
def test_a_stored_value_reads_in_the_readers_language(field, value, zh, en):
    assert shown(field, value) == zh
    assert shown(field, value, "en") == en


def test_the_revisit_draw_reads_in_chinese():
    with in_locale("zh_CN"):
        text = draw_text(STORED_DRAW, POLICY)
    assert text == ("HMAC-SHA256（密钥 e4a26109，TS-2026-000113）→ 0.556234 < 1.00（一类投诉的回访比例）"
                    " · 客户要求回访 → 回访")


def test_the_revisit_draw_reads_in_english():
    with in_locale("en"):
        text = draw_text(STORED_DRAW.replace("callback=yes", "reopened=yes"), POLICY)
    assert text == ("HMAC-SHA256(key e4a26109, TS-2026-000113) → 0.556234 < 1.00, the share drawn "
                    "for Class I · reopened after an unsatisfied revisit → revisited")


def test_a_draw_that_missed_says_so():
    note = "HMAC-SHA256(key e4a26109, TS-2026-000001) → 0.631567 ≥ 0.20 (grade M) → no revisit"
    with in_locale("zh_CN"):
        assert draw_text(note, POLICY).endswith("（一般性抱怨的回访比例） → 不回访")


def test_a_note_that_is_not_a_draw_is_left_to_the_page():
    assert draw_text("客户要求回访", POLICY) is None
