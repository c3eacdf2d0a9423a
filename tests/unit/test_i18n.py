import pytest

from portal.i18n import html_lang, negotiate


@pytest.mark.parametrize("cookie,accept,expected", [
    (None, None, "zh_CN"), (None, "en-US,en;q=0.9", "en"), (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
    (None, "fr-FR", "zh_CN"), ("en", "zh-CN", "en"), ("zh_CN", "en", "zh_CN"), ("xx", "en", "en"),
    (None, "de;q=abc, en;q=0.5", "en"), (None, "en;q=0.2, zh;q=0.9", "zh_CN"),
])
def test_negotiate(cookie, accept, expected):
    assert negotiate(cookie, accept) == expected


def test_html_lang():
    assert html_lang("zh_CN") == "zh-CN" and html_lang("en") == "en"
