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
