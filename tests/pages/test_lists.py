"""/triage, /inbox and /mine: who sees what, order, filters, search, pagination; escaping; language."""

from datetime import timedelta

import pytest

from portal.timeutil import utcnow
from tests.factories import make_complaint

XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"


def numbers_in(html: str) -> list[str]:
    import re

    return re.findall(r'<tr data-number="(TS-\d{4}-\d{6})"', html)


def test_triage_lists_logged_complaints_urgent_first_then_oldest(client, viewers):
    now = utcnow()
    old = client.run(make_complaint, viewers, received_at=now - timedelta(days=3))
    new = client.run(make_complaint, viewers, received_at=now - timedelta(days=1))
    urgent = client.run(make_complaint, viewers, received_at=now - timedelta(hours=1), urgent=True)
    client.run(make_complaint, viewers, status="dispatched")
    client.login("office")
    page = client.get("/triage").text
    assert numbers_in(page) == [urgent["number"], old["number"], new["number"]]
    assert "138****5678" in page and "13812345678" not in page


def test_triage_is_paginated(client, viewers):
    for _ in range(27):
        client.run(make_complaint, viewers)
    client.login("office")
    first = client.get("/triage").text
    second = client.get("/triage?page=2").text
    assert len(numbers_in(first)) == 25 and len(numbers_in(second)) == 2
    assert not set(numbers_in(first)) & set(numbers_in(second))


def test_empty_triage_says_so(client, viewers):
    client.login("office")
    assert 'data-testid="empty"' in client.get("/triage").text


def test_inbox_shows_only_the_departments_open_complaints(client, viewers):
    qa = client.run(make_complaint, viewers, status="in_progress", department="QA")
    svc = client.run(make_complaint, viewers, status="in_progress", department="SVC")
    done = client.run(make_complaint, viewers, status="replied", department="QA")
    client.login("qa.staff")
    page = client.get("/inbox").text
    assert numbers_in(page) == [qa["number"]]
    assert svc["number"] not in page and done["number"] not in page
    assert done["number"] in client.get("/inbox?status=all").text
    assert numbers_in(client.get("/inbox?status=replied").text) == [done["number"]]


def test_inbox_filters_by_grade_and_urgency(client, viewers):
    minor = client.run(make_complaint, viewers, status="dispatched", criteria=["M-1"])
    severe = client.run(make_complaint, viewers, status="dispatched", criteria=["I-2"], urgent=True)
    client.login("qa.staff")
    assert numbers_in(client.get("/inbox?grade=M").text) == [minor["number"]]
    assert numbers_in(client.get("/inbox?urgent=true").text) == [severe["number"]]


@pytest.mark.parametrize("query", ["number", "name", "phone", "text"])
def test_inbox_search(client, viewers, query):
    target = client.run(make_complaint, viewers, status="dispatched", customer_name="欧阳娜娜",
                        customer_phone="13511112222", description="冰箱压缩机噪音很大")
    client.run(make_complaint, viewers, status="dispatched")
    q = {"number": target["number"], "name": "欧阳", "phone": "135 1111 2222", "text": "压缩机"}[query]
    client.login("qa.staff")
    assert numbers_in(client.get("/inbox", params={"q": q}).text) == [target["number"]]


def test_inbox_keyset_pages_do_not_overlap(client, viewers):
    made = [client.run(make_complaint, viewers, status="dispatched")["number"] for _ in range(30)]
    client.login("qa.staff")
    first = client.get("/inbox?sort=new").text
    import re

    cursor = re.search(r'before=(\d+)', first).group(1)
    second = client.get(f"/inbox?before={cursor}").text
    assert numbers_in(first) == made[::-1][:25]
    assert numbers_in(second) == made[::-1][25:]
    assert 'rel="next"' not in second


def test_inbox_sorts_by_the_nearest_deadline_then_the_rest_newest_first(client, viewers):
    import re
    from datetime import timedelta

    from portal.timeutil import utcnow

    base = utcnow() - timedelta(days=20)
    # Dispatched one day apart, in shuffled order: the deadline order is the dispatch order.
    offsets = [7, 2, 9, 0, 5, 1, 8, 3, 6, 4] * 3
    running = {}
    for i, days in enumerate(offsets):
        row = client.run(make_complaint, viewers, status="dispatched",
                         now=base + timedelta(days=days, minutes=i))
        running[row["number"]] = row["next_due"]
    done = [client.run(make_complaint, viewers, status="replied", now=base)["number"] for _ in range(3)]
    client.login("qa.staff")
    first = client.get("/inbox?status=all").text
    assert 'data-next-due' in first and "overdue" in first
    cursor = re.search(r'after=([^"&]+)', first).group(1)
    second = client.get(f"/inbox?status=all&after={cursor}").text
    listed = numbers_in(first) + numbers_in(second)
    expected = sorted(running, key=lambda n: (running[n], n)) + done[::-1]
    assert listed == expected
    assert len(numbers_in(first)) == 25 and 'rel="next"' not in second
    assert client.get("/inbox?after=garbage").status_code == 200


def test_office_inbox_spans_departments_and_filters_by_one(client, viewers):
    qa = client.run(make_complaint, viewers, status="dispatched", department="QA")
    svc = client.run(make_complaint, viewers, status="dispatched", department="SVC")
    client.login("office")
    assert set(numbers_in(client.get("/inbox").text)) == {qa["number"], svc["number"]}
    assert numbers_in(client.get("/inbox?department=SVC").text) == [svc["number"]]


def test_mine_lists_only_what_i_logged(client, viewers):
    mine = client.run(make_complaint, viewers, logged_by="clerk", status="replied")
    client.run(make_complaint, viewers, logged_by="svc.staff")
    client.login("clerk")
    page = client.get("/mine").text
    assert numbers_in(page) == [mine["number"]]
    assert 'data-status="replied"' in page


def test_mine_empty_state(client, viewers):
    client.login("cshead")
    assert 'data-testid="empty"' in client.get("/mine").text


def test_user_text_is_escaped_on_every_page(client, viewers):
    row = client.run(make_complaint, viewers, status="replied", customer_name=XSS,
                     customer_address=XSS, description=XSS, demand=XSS, product=XSS, location=XSS,
                     complained_person=XSS, order_no=XSS[:60])
    client.login("office")
    pages = [client.get(f"/complaints/{row['number']}").text, client.get("/inbox?status=all").text]
    client.login("clerk")
    pages.append(client.get("/mine").text)
    for html in pages:
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_action_text_is_escaped(client, viewers):
    row = client.run(make_complaint, viewers, status="in_progress")
    client.login("qa.staff")
    client.post_form(f"/complaints/{row['number']}/submit-result",
                     {"version": row["version"], "cause": XSS, "solution": XSS,
                      "corrective_action": XSS})
    html = client.get(f"/complaints/{row['number']}").text
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html


def test_chinese_is_the_default_language(client, viewers):
    r = client.get("/login")
    assert '<html lang="zh-CN">' in r.text and "登录" in r.text


def test_the_browser_can_ask_for_english(client, viewers):
    r = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in r.text and "Log in" in r.text


def test_the_header_switch_is_remembered_and_wins(client, viewers):
    r = client.post_form("/lang", {"lang": "en", "next": "/login"})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in page.text
    client.post_form("/lang", {"lang": "zh_CN", "next": "/login"})
    assert '<html lang="zh-CN">' in client.get("/login").text


def test_the_language_switch_never_redirects_off_site(client, viewers):
    r = client.post_form("/lang", {"lang": "en", "next": "https://evil.example/"})
    assert r.headers["location"] == "/"


def test_triage_links_to_the_offices_other_queues_with_counts(client, viewers):
    client.run(make_complaint, viewers, status="signed_off")
    client.run(make_complaint, viewers, status="signed_off")
    client.run(make_complaint, viewers, status="verified")
    client.login("office")
    page = client.get("/triage").text
    verify = page.split('data-testid="queue-verify"', 1)[1].split("</a>", 1)[0]
    reply = page.split('data-testid="queue-reply"', 1)[1].split("</a>", 1)[0]
    assert ">2<" in verify and ">1<" in reply


def test_office_open_inbox_includes_what_waits_on_the_office(client, viewers):
    signed = client.run(make_complaint, viewers, status="signed_off")
    verified = client.run(make_complaint, viewers, status="verified")
    done = client.run(make_complaint, viewers, status="replied")
    client.login("office")
    shown = numbers_in(client.get("/inbox").text)
    assert signed["number"] in shown and verified["number"] in shown
    assert done["number"] not in shown
    client.login("qa.staff")  # the department is done with them
    assert numbers_in(client.get("/inbox").text) == []


def test_reply_and_reasons_are_escaped(client, viewers):
    verified = client.run(make_complaint, viewers, status="verified")
    signed = client.run(make_complaint, viewers, status="signed_off")
    client.login("office")
    client.post_form(f"/complaints/{verified['number']}/reply",
                     {"version": verified["version"], "reply": XSS})
    client.post_form(f"/complaints/{signed['number']}/send-back",
                     {"version": signed["version"], "reason": XSS})
    for row in (verified, signed):
        html = client.get(f"/complaints/{row['number']}").text
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
