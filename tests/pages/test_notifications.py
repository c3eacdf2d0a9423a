"""/notifications: opening one marks it read and goes to its complaint; the list is paged;
"mark all read" stays."""

import re

from db.tables import Notification
from portal.timeutil import utcnow
from tests.factories import make_complaint


async def notify(user_id: int, complaint_id: int | None, count: int = 1) -> list[int]:
    ids = []
    for _ in range(count):
        n = Notification(user=user_id, complaint=complaint_id, kind="dispatched",
                         created_at=utcnow())
        await n.save()
        ids.append(n.id)
    return ids


async def read_at(notification_id: int):
    row = await Notification.select(Notification.read_at).where(
        Notification.id == notification_id).first()
    return row["read_at"]


def test_opening_a_notification_marks_it_read_and_opens_its_complaint(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    [nid] = client.run(notify, viewers["qa.staff"].id, row["id"])
    client.login("qa.staff")
    page = client.get("/notifications").text
    assert f'href="/notifications/{nid}/open"' in page
    r = client.get(f"/notifications/{nid}/open", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"] == f"/complaints/{row['number']}"
    assert client.run(read_at, nid) is not None
    assert client.get(f"/notifications/{nid}/open", follow_redirects=False).status_code in (302, 303)


def test_someone_elses_notification_is_404_and_stays_unread(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    [nid] = client.run(notify, viewers["qa.staff"].id, row["id"])
    client.login("svc.staff")
    assert client.get(f"/notifications/{nid}/open", follow_redirects=False).status_code == 404
    assert client.run(read_at, nid) is None


def test_the_list_is_paged_newest_first_each_once(client, viewers):
    row = client.run(make_complaint, viewers)  # still logged: nothing else notified the handler
    ids = client.run(notify, viewers["qa.staff"].id, row["id"], 60)
    client.login("qa.staff")
    seen, url, pages = [], "/notifications", 0
    while url:
        r = client.get(url)
        assert r.status_code == 200
        seen += [int(i) for i in re.findall(r'/notifications/(\d+)/open', r.text)]
        pages += 1
        link = re.search(r'href="(\?[^"]*)" rel="next"', r.text)
        url = "/notifications" + link.group(1).replace("&amp;", "&") if link else None
    assert pages == 3 and seen == ids[::-1]


def test_mark_all_read_stays(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    ids = client.run(notify, viewers["qa.staff"].id, row["id"], 3)
    other = client.run(notify, viewers["svc.staff"].id, row["id"])
    client.login("qa.staff")
    assert 'data-action="mark-read"' in client.get("/notifications").text
    client.post_form("/notifications/read")
    assert all(client.run(read_at, i) is not None for i in ids)
    assert client.run(read_at, other[0]) is None


def test_no_notifications_says_so(client, viewers):
    client.login("clerk")
    assert 'data-testid="empty"' in client.get("/notifications").text
