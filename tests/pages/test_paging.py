"""Every paged list reads a bad `?page=` (or keyset `?before=`) as its first page: a
hand-edited or cut-off link shows the list, never a 400 error page."""

import pytest

# (url, who may open it, something only the list's first page shows)
LISTS = [
    ("/admin/users?page={}", "admin", 'data-username="admin"'),
    ("/admin/policy/history?page={}", "admin", 'class="empty"'),
    ("/admin/logins?page={}", "admin", 'data-outcome="ok"'),
    ("/admin/contact-views?page={}", "cshead", 'class="empty"'),
    ("/triage?page={}", "office", "<h1"),
    ("/mine?before={}", "clerk", "<h1"),
    ("/notifications?before={}", "qa.staff", "<h1"),
    ("/inbox?before={}", "qa.head", "<h1"),
]
BAD = ["abc", "-1", "0", "1.5", "", "%20", "１", "99999999999999999999999"]


@pytest.mark.parametrize("url, user, first", LISTS, ids=[u.split("?")[0] for u, *_ in LISTS])
def test_a_bad_page_number_shows_the_first_page(client, url, user, first):
    client.login(user)
    expected = client.get(url.format(1) if "page=" in url else url.split("?")[0])
    assert expected.status_code == 200 and first in expected.text
    for value in BAD:
        response = client.get(url.format(value))
        assert response.status_code == 200, (url, value)
        assert first in response.text, (url, value)
        assert 'rel="prev"' not in response.text, (url, value)


def test_a_real_page_number_still_pages(client, viewers, monkeypatch):
    from db import users as store

    monkeypatch.setattr(store, "PER_PAGE", 3)
    client.login("admin")
    second = client.get("/admin/users?page=2").text
    assert 'rel="prev"' in second and second.count("data-username=") == 3


# (url past the end, who, the empty list's own sentence that must not show, link back)
PAST_THE_END = [
    ("/admin/contact-views?page=2", "cshead", "尚无人查看过客户联系方式", "?"),
    ("/admin/contact-views?user=office&page=3", "admin", "没有符合条件的查看记录", "?user=office"),
    ("/admin/logins?page=9", "admin", "尚无登录记录", "?"),
    ("/admin/policy/history?page=2", "admin", "尚未保存任何修改", "/admin/policy/history"),
    ("/admin/users?q=nobody-like-this&page=4", "admin", "没有符合条件的用户",
     "?q=nobody-like-this"),
    ("/triage?page=7", "office", "没有待分拣的投诉", "?"),
    ("/mine?before=1", "clerk", "您还没有登记过投诉", "?"),
    ("/inbox?before=1", "qa.head", "没有符合筛选条件的投诉", "?status=open&amp;sort=new"),
    ("/notifications?before=1", "qa.staff", "暂无通知", "/notifications"),
]


@pytest.mark.parametrize("url, user, empty, back", PAST_THE_END,
                         ids=[u for u, *_ in PAST_THE_END])
def test_a_page_past_the_end_says_so_and_leads_back_to_page_1(client, url, user, empty, back):
    client.login(user)
    page = client.get(url).text
    assert 'data-testid="past-the-end"' in page and "没有更多记录了" in page
    assert f'<a href="{back}" rel="first">回到第 1 页</a>' in page
    assert empty not in page
    client.post_form("/lang", {"lang": "en", "next": "/"})
    assert "No more entries" in client.get(url).text
