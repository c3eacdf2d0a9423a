import pytest

from portal.auth import hash_password, safe_next, verify_password


def test_hash_and_verify():
    hashed = hash_password("demo-pass")
    assert hashed.startswith("$argon2")
    assert verify_password(hashed, "demo-pass")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "demo-pass")
    assert not verify_password("not-a-hash", "demo-pass")


@pytest.mark.parametrize("target,expected", [
    ("/inbox?status=all", "/inbox?status=all"), ("//evil.example", "/"), ("http://evil", "/"),
    ("/\\evil", "/"), ("", "/"), (None, "/"), ("inbox", "/"),
])
def test_safe_next(target, expected):
    assert safe_next(target) == expected


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r/evil", " /inbox", "%2F%2Fevil.example",
    "javascript:alert(1)", "/inbox\x00", "/" + "a" * 2001, "\\\\evil", "/\x7f/evil",
])
def test_safe_next_refuses_anything_but_a_plain_path_on_this_site(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", [
    "/", "/complaints/TS-2026-000001", "/inbox?status=open&q=%E6%89%8B%E6%9C%BA", "/%2F%2Fx",
])
def test_safe_next_keeps_paths_on_this_site(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("username,password,ok", [
    ("qa.staff", "short", False),
    ("qa.staff", "123456789", False),  # 9 characters
    ("qa.staff", "1234567890", True),
    ("qa.staff", "my-QA.STAFF-pass", False),  # contains the username, whatever the case
    ("qa.staff", "correct horse battery", True),
])
def test_password_problem(username, password, ok):
    from portal.accounts import password_problem

    assert (password_problem(password, username) is None) is ok
