"""/mine: what the clerk logged, newest logged first, paged, searchable, with each status."""

import re

from tests.factories import make_complaint


def numbers_in(html: str) -> list[str]:
    return re.findall(r'<tr data-number="(TS-\d{4}-\d{6})"', html)


def test_mine_is_newest_logged_first_not_by_deadline(client, viewers):
    older = client.run(make_complaint, viewers, status="dispatched")  # a running deadline
    newer = client.run(make_complaint, viewers)  # no department deadline yet
    client.login("clerk")
    assert numbers_in(client.get("/mine").text) == [newer["number"], older["number"]]


def test_mine_pages_through_three_pages_each_complaint_once(client, viewers):
    made = [client.run(make_complaint, viewers, status="dispatched" if i % 3 else "logged")
            for i in range(55)]
    client.login("clerk")
    listed, url, pages = [], "/mine", 0
    while url:
        r = client.get(url)
        assert r.status_code == 200
        listed += numbers_in(r.text)
        pages += 1
        link = re.search(r'href="(\?[^"]*)" rel="next"', r.text)
        url = "/mine" + link.group(1).replace("&amp;", "&") if link else None
    assert pages == 3
    assert listed == [m["number"] for m in made][::-1]


def test_mine_search_keeps_the_query_in_the_page_links(client, viewers):
    for _ in range(27):
        client.run(make_complaint, viewers, description="热水器漏水")
    other = client.run(make_complaint, viewers, description="快递破损")
    client.login("clerk")
    first = client.get("/mine?q=漏水").text
    assert other["number"] not in first and len(numbers_in(first)) == 25
    assert 'value="漏水"' in first
    link = re.search(r'href="(\?[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get("/mine" + link).text
    assert len(numbers_in(second)) == 2 and other["number"] not in second


def test_mine_shows_each_status(client, viewers):
    client.run(make_complaint, viewers, status="replied")
    client.run(make_complaint, viewers, status="in_progress")
    client.login("clerk")
    page = client.get("/mine").text
    assert 'data-status="replied"' in page and 'data-status="in_progress"' in page


def test_mine_search_without_match_says_so(client, viewers):
    client.run(make_complaint, viewers)
    client.login("clerk")
    page = client.get("/mine?q=没有这种词").text
    assert numbers_in(page) == [] and 'data-testid="empty"' in page
