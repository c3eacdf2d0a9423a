import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.contact import is_valid_email, is_valid_phone, mask_email, mask_phone, normalize_phone


@pytest.mark.parametrize("phone", [
    "13812345678", "19912345678", "138 1234 5678", "138-1234-5678", "+8613812345678",
    "010-12345678", "0755-1234567", "021 6234 5678", "010-12345678#123",
])
def test_valid_phones(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", [
    "12812345678", "1381234567", "138123456789", "abc", "12345", "", "10-12345678", "0755-12345",
])
def test_invalid_phones(phone):
    assert not is_valid_phone(phone)


def test_normalize_removes_spaces_and_hyphens():
    assert normalize_phone(" 138-1234 5678 ") == "13812345678"


@pytest.mark.parametrize("email,ok", [
    ("zhang.wei@example.com", True), ("a+b@example.cn", True), ("张@例子.中国", True),
    ("no-at-sign", False), ("a@", False), ("@example.com", False), ("a b@example.com", False),
])
def test_emails(email, ok):
    assert is_valid_email(email) is ok


def test_mobile_masking_keeps_three_and_four():
    assert mask_phone("13812345678") == "138****5678"


def test_landline_masking():
    assert mask_phone("02162345678") == "021****5678"


def test_short_and_empty_masking():
    assert mask_phone("") == ""
    assert mask_phone("12345") == "1****"


def test_email_masking():
    assert mask_email("zhangwei@example.com") == "z***@example.com"
    assert mask_email("") == ""


@given(st.text(alphabet="0123456789", min_size=8, max_size=16))
def test_masking_never_reveals_the_middle_and_keeps_length(phone):
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked[3:-4] == "*" * (len(phone) - 7)
