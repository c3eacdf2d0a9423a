"""Notice emails: every kind's subject, in both languages, is one clean line as the recipient's
mail program shows it: no leading or trailing space, no empty part, nothing left untranslated."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from portal.accounts import set_password_email
from portal.mailer import Outgoing, build_message
from portal.notices import NOTICES, email_for, survey_email

TZ = ZoneInfo("Asia/Shanghai")
NUMBER = "TS-2026-000113"
DUE = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
# What the sweep puts in a notice's detail: the deadline, or the rule that raised the grade.
DETAILS = {"reminder": "result", "breach": "acknowledge", "auto_graded": "I-8"}
LOCALES = ("zh_CN", "en")
SEPARATORS = re.compile(r"[:：/·\]】]")


def subjects():
    for kind in NOTICES:
        for locale in LOCALES:
            yield pytest.param(kind, locale, email_for(
                kind, NUMBER, DETAILS.get(kind, ""), locale, "http://portal.example", DUE, TZ)[0],
                id=f"{kind}-{locale}")
    for locale in LOCALES:
        yield pytest.param("set-password", locale, set_password_email(
            "孙丽", "qa.staff", "http://portal.example/set-password/x", DUE, locale, TZ)[0],
            id=f"set-password-{locale}")
    yield pytest.param("survey", "both", survey_email(
        NUMBER, "http://portal.example/survey/x", DUE, TZ)[0], id="survey")


def as_received(subject: str) -> tuple[str, str]:
    """The subject as a mail program reads the message: unfolded (RFC 5322 §2.2.3), and
    decoded by Python's standard policy."""
    raw = bytes(build_message(Outgoing("kehu@example.com", subject, "text", "<1@portal.local>",
                                       DUE), "客户投诉管理 <portal@localhost>"))
    old = email.message_from_bytes(raw)  # compat32: the header as it stands in the file
    unfolded = re.sub(r"\r?\n", "", old["Subject"])
    decoded = str(email.header.make_header(email.header.decode_header(unfolded)))
    modern = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
    return decoded, modern


@pytest.mark.parametrize("kind,locale,subject", subjects())
def test_a_subject_has_no_stray_space_and_no_empty_part(kind, locale, subject):
    assert subject == subject.strip()
    assert "  " not in subject and "%(" not in subject
    assert all(part.strip() for part in SEPARATORS.split(subject) if part != ""), subject
    if kind != "set-password":
        assert NUMBER in subject


@pytest.mark.parametrize("kind,locale,subject", subjects())
def test_a_subject_arrives_exactly_as_written(kind, locale, subject):
    """Python folds a 60–77 character ASCII subject onto a line of its own ("Subject:" then
    the value on the next line), which mail programs show with a leading space."""
    assert as_received(subject) == (subject, subject)


@pytest.mark.parametrize("kind", list(NOTICES))
def test_a_chinese_subject_has_no_english_but_the_number(kind):
    subject = email_for(kind, NUMBER, DETAILS.get(kind, ""), "zh_CN", "http://x", DUE, TZ)[0]
    leftover = subject.replace(NUMBER, "").replace(DETAILS.get(kind, "") if kind == "auto_graded"
                                                   else "\0", "")
    assert not re.search(r"[A-Za-z]", leftover), subject


def test_a_long_subject_still_folds_within_the_line_limit():
    subject = "【客户投诉管理】" + "很长的主题" * 40
    raw = bytes(build_message(Outgoing("a@example.com", subject, "x", "<2@portal.local>", DUE),
                              "portal@localhost"))
    header = raw.split(b"\n\n", 1)[0].decode("ascii")
    assert all(len(line) <= 78 for line in header.splitlines())
    assert as_received(subject) == (subject, subject)
