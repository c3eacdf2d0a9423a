"""/search and the header box; the inbox's `q` shares the condition (db/search.py)."""

import re

import pytest

import db.search as search_db
from db.tables import Complaint
from portal.search import parse_query
from portal.workflow import Status
from tests.factories import make_complaint


def numbers_in(html: str) -> list[str]:
    return re.findall(r'<tr data-number="(TS-\d{4}-\d{6})"', html)


async def renumber(row: dict, sequence: int) -> str:
    number = f"{row['number'][:8]}{sequence:06d}"
    await Complaint.update({Complaint.number: number}).where(Complaint.id == row["id"])
    return number


@pytest.fixture
def target(client, viewers):
    """A closed complaint TS-YYYY-000113 of QA, among decoys, numbered to test the order."""
    row = client.run(make_complaint, viewers, status="replied", customer_name="欧阳娜娜",
                     customer_phone="13511112222", product="静音冰箱", order_no="JD-778899",
                     description="冰箱压缩机噪音很大", demand="上门检修")
    number = client.run(renumber, row, 113)
    client.run(lambda: Complaint.update({Complaint.status: "closed"}).where(
        Complaint.id == row["id"]))
    return {**row, "number": number, "status": "closed"}


SEARCHES = {
    "full number": lambda t: t["number"], "lower case number": lambda t: t["number"].lower(),
    "six digits": lambda t: "000113", "three digits": lambda t: "113",
    "last four of the phone": lambda t: "2222", "whole phone": lambda t: "135-1111-2222",
    "name": lambda t: "欧阳娜", "surname": lambda t: "欧阳", "product": lambda t: "静音冰箱",
    "order no.": lambda t: "778899", "description word": lambda t: "压缩机",
    "demand": lambda t: "上门检修", "email": lambda t: t["customer_email"],
}


@pytest.mark.parametrize("case", SEARCHES)
def test_the_office_finds_a_closed_complaint(client, viewers, target, case):
    client.run(make_complaint, viewers, status="dispatched", customer_name="李雷",
               customer_phone="13900001111", customer_email="li@example.com")
    client.login("office")
    page = client.get("/search", params={"q": SEARCHES[case](target)}).text
    assert numbers_in(page) == [target["number"]]


@pytest.mark.parametrize("case", ["full number", "six digits", "three digits",
                                  "last four of the phone", "name", "description word"])
def test_the_inbox_search_finds_it_too_in_every_status(client, viewers, target, case):
    client.run(make_complaint, viewers, status="dispatched", customer_name="李雷",
               customer_phone="13900001111")
    client.login("qa.staff")
    page = client.get("/inbox", params={"q": SEARCHES[case](target), "status": "open"}).text
    assert numbers_in(page) == [target["number"]]


def test_the_exact_sequence_comes_before_numbers_ending_or_containing_it(client, viewers):
    rows = [client.run(make_complaint, viewers) for _ in range(4)]
    contains = client.run(renumber, rows[0], 11300)
    exact = client.run(renumber, rows[1], 113)
    suffix = client.run(renumber, rows[2], 1113)
    client.run(renumber, rows[3], 999)
    client.login("office")
    assert numbers_in(client.get("/search?q=113").text) == [exact, suffix, contains]


def test_the_query_is_echoed_in_both_boxes_and_contacts_are_masked(client, viewers, target):
    client.login("office")
    page = client.get("/search?q=2222").text
    assert 'id="search-q" name="q" value="2222"' in page and 'value="2222" placeholder' in page
    assert "135****2222" in page and "13511112222" not in page


def test_an_empty_query_and_no_match_say_so(client, viewers, target):
    client.login("office")
    assert 'data-testid="empty"' in client.get("/search").text
    page = client.get("/search?q=不存在的词").text
    assert numbers_in(page) == [] and 'data-testid="empty"' in page and "不存在的词" in page


def test_a_handler_cannot_find_another_departments_complaint(client, viewers, target):
    svc = client.run(make_complaint, viewers, status="dispatched", department="SVC",
                     description="冰箱压缩机异响")
    client.login("qa.staff")
    assert numbers_in(client.get("/search?q=压缩机").text) == [target["number"]]
    client.login("svc.staff")
    assert numbers_in(client.get("/search?q=压缩机").text) == [svc["number"]]
    assert numbers_in(client.get("/search", params={"q": target["number"]}).text) == []


def test_an_employee_finds_only_what_they_logged(client, viewers, target):
    theirs = client.run(make_complaint, viewers, logged_by="clerk", status="dispatched",
                        department="SVC", description="压缩机又坏了")
    client.run(make_complaint, viewers, logged_by="office", description="压缩机另一单")
    client.login("clerk")
    # target was logged by the clerk too (the factory's default)
    assert set(numbers_in(client.get("/search?q=压缩机").text)) == {theirs["number"],
                                                                   target["number"]}
    client.run(lambda: Complaint.update({Complaint.logged_by: viewers["office"].id}).where(
        Complaint.id == target["id"]))
    assert numbers_in(client.get("/search?q=压缩机").text) == [theirs["number"]]


def test_results_are_paginated_each_once(client, viewers):
    made = [client.run(make_complaint, viewers, description=f"漏水问题 {i}")["number"]
            for i in range(30)]
    client.login("office")
    first = client.get("/search?q=漏水问题").text
    cursor = re.search(r'after=([^"&]+)', first).group(1)
    second = client.get(f"/search?q=漏水问题&after={cursor}")
    assert second.status_code == 200
    assert numbers_in(first) + numbers_in(second.text) == made[::-1]
    assert 'rel="next"' not in second.text
    assert client.get("/search?q=漏水问题&after=garbage").status_code == 200


def test_the_header_has_the_search_box(client, viewers):
    client.login("clerk")
    page = client.get("/mine").text
    assert 'action="/search"' in page and 'data-testid="header-search"' in page


def test_search_needs_a_login(client, viewers):
    r = client.get("/search?q=113", follow_redirects=False)
    assert r.status_code in (302, 303, 401)


def test_a_two_character_query_finds_names_first_then_text_each_once(client, viewers):
    text = client.run(make_complaint, viewers, customer_name="李雷", description="欧阳先生反映漏水")
    name = client.run(make_complaint, viewers, customer_name="欧阳娜娜", description="欧阳")
    client.login("office")
    page = client.get("/search?q=欧阳").text
    assert numbers_in(page) == [name["number"], text["number"]]
    assert "100,000" not in page  # two characters search everything: no notice of a window


def test_postgresql_plans_each_search_for_its_own_pattern(client):
    """A pooled connection keeps asyncpg's prepared statements; a generic plan cannot use the
    trigram indexes for a LIKE pattern it does not know (measured: 7× slower searches)."""
    from piccolo.engine.postgres import PostgresEngine

    engine = Complaint._meta.db
    if isinstance(engine, PostgresEngine):
        rows = client.run(lambda: Complaint.raw("SHOW plan_cache_mode"))
        assert rows == [{"plan_cache_mode": "force_custom_plan"}]
    else:
        assert engine.__class__.__name__ == "SQLiteEngine"  # plans every statement anyway


# Two characters (most Chinese words) are searched in every complaint: the bigram index on
# PostgreSQL (migration 2026-12-05T06:30), LIKE on SQLite. One character stays in the window.
EVERY_STATUS = [s.value for s in Status]


def old_complaints_in_every_status(client, viewers) -> dict[str, dict]:
    """A complaint about 漏电 in every status (QA's, and SVC's for a few), then a newer one
    without it: with SHORT_WINDOW = 1 every 漏电 complaint is older than the window."""
    made = {}
    for status in EVERY_STATUS:
        departments = ["QA", "SVC"] if status in ("dispatched", "replied", "closed") else ["QA"]
        for department in departments:
            walk = "replied" if status == "closed" else status
            row = client.run(make_complaint, viewers, status=walk, department=department,
                             customer_name="李雷", description=f"{status}：底座漏电")
            if status == "closed":
                client.run(lambda r=row: Complaint.update({Complaint.status: "closed"}).where(
                    Complaint.id == r["id"]))
            made[f"{status}/{department}"] = {**row, "status": status}
    client.run(make_complaint, viewers, status="dispatched", customer_name="韩梅",
               description="外壳有划痕", demand="退货")
    return made


def test_two_characters_find_complaints_older_than_the_window_in_every_status(
        client, viewers, monkeypatch):
    monkeypatch.setattr(search_db, "SHORT_WINDOW", 1)
    made = old_complaints_in_every_status(client, viewers)
    assert {row["status"] for row in made.values()} == set(EVERY_STATUS)
    newest_first = [row["number"] for row in sorted(made.values(), key=lambda r: -r["id"])]
    client.login("office")
    page = client.get("/search", params={"q": "漏电"}).text
    assert numbers_in(page) == newest_first
    assert "100,000" not in page  # no notice that the search is bounded
    # One character is still bounded: the newest complaint has no 漏, the older ones are not read.
    page = client.get("/search", params={"q": "漏"}).text
    assert numbers_in(page) == [] and "100,000" in page


def test_two_characters_page_through_the_window_then_the_older_complaints(
        client, viewers, monkeypatch):
    """The newest SHORT_WINDOW complaints are read first, then the older ones: one list,
    newest first, each complaint once, across the page boundary and the window's."""
    monkeypatch.setattr(search_db, "SHORT_WINDOW", 4)
    made = [client.run(make_complaint, viewers, customer_name="李雷",
                       description=f"插头漏电 {i}")["number"] for i in range(30)]
    client.login("office")
    first = client.get("/search", params={"q": "漏电"}).text
    cursor = re.search(r'after=([^"&]+)', first).group(1)
    second = client.get("/search", params={"q": "漏电", "after": cursor}).text
    assert numbers_in(first) + numbers_in(second) == made[::-1]
    assert 'rel="next"' not in second


def test_two_characters_respect_what_each_user_may_see(client, viewers, monkeypatch):
    monkeypatch.setattr(search_db, "SHORT_WINDOW", 1)
    made = old_complaints_in_every_status(client, viewers)
    qa = [row["number"] for row in sorted(made.values(), key=lambda r: -r["id"])
          if row["department"] == "QA"]
    assert len(qa) == len(EVERY_STATUS) - 2  # logged and invalid have no department yet
    client.login("qa.staff")
    assert numbers_in(client.get("/search", params={"q": "漏电"}).text) == qa
    inbox = client.get("/inbox", params={"q": "漏电", "status": "all", "sort": "new"}).text
    assert set(numbers_in(inbox)) == set(qa)
    client.login("svc.staff")
    svc = [row["number"] for row in sorted(made.values(), key=lambda r: -r["id"])
           if row["department"] == "SVC"]
    assert numbers_in(client.get("/search", params={"q": "漏电"}).text) == svc


def test_two_characters_ignore_case_and_never_join_two_fields(client, viewers, monkeypatch):
    monkeypatch.setattr(search_db, "SHORT_WINDOW", 1)
    wifi = client.run(make_complaint, viewers, status="replied", customer_name="李雷",
                      product="Wi-Fi音箱", description="连不上网络", demand="换新")
    aircon = client.run(make_complaint, viewers, customer_name="韩梅", product="空调",
                        description="外壳有划痕", demand="退货")
    client.run(make_complaint, viewers, customer_name="王芳", description="噪音大")
    client.login("office")
    assert numbers_in(client.get("/search", params={"q": "fI"}).text) == [wifi["number"]]
    assert numbers_in(client.get("/search", params={"q": "划痕"}).text) == [aircon["number"]]
    # 梅 ends the name and 空 begins the product: 梅空 is in no text.
    assert numbers_in(client.get("/search", params={"q": "梅空"}).text) == []


def test_postgresql_answers_two_characters_from_the_bigram_index(client, viewers):
    """The index exists and the tier query's expression is the indexed one (else PostgreSQL
    would read every complaint): with the table scans off, the plan reads the index."""
    from piccolo.engine.postgres import PostgresEngine

    from db.transactions import atomic

    sq = parse_query("漏电")
    text_tier = search_db.tier_conditions(sq)[-1]
    sql = str(search_db.tier_query(text_tier, None, None, 26))
    if not isinstance(Complaint._meta.db, PostgresEngine):
        assert "complaint_bigrams" not in sql  # SQLite: LIKE over every row, no index
        return

    async def explain():
        async with atomic():
            await Complaint.raw("SET LOCAL enable_seqscan = off")
            await Complaint.raw("SET LOCAL enable_indexscan = off")
            return await Complaint.raw(f"EXPLAIN {sql}")

    indexes = client.run(lambda: Complaint.raw(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'complaint'"))
    assert search_db.BIGRAM_INDEX in {row["indexname"] for row in indexes}
    plan = "\n".join(row["QUERY PLAN"] for row in client.run(explain))
    assert f"Bitmap Index Scan on {search_db.BIGRAM_INDEX}" in plan
    # What keeps the planner off a whole-table walk for a rare pair at 1,000,000 (the migration).
    function = client.run(lambda: Complaint.raw(
        "SELECT procost, proparallel::text, provolatile::text FROM pg_proc "
        "WHERE proname = 'complaint_bigrams'"))
    assert function == [{"procost": 1000, "proparallel": "u", "provolatile": "i"}]
