from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from db import queries
from db.tables import Notification
from portal.i18n import _
from portal.timeutil import utcnow
from portal.web import cursor_id, redirect, render, user_of


@get("/notifications")
async def notifications_page(request: Request, before: str = "") -> object:
    """Newest first, PAGE_SIZE a page, keyset-paginated by id."""
    user = user_of(request)
    before = cursor_id(before)
    items = await queries.notifications_of(user.id, limit=queries.PAGE_SIZE + 1, before=before)
    next_cursor = items[queries.PAGE_SIZE - 1]["id"] if len(items) > queries.PAGE_SIZE else None
    return render(request, "notifications/notifications.html",
                  items=items[:queries.PAGE_SIZE], next_cursor=next_cursor,
                  first_page=before is None, nav="notifications")


@get("/notifications/{notification_id:int}/open")
async def open_notification(request: Request, notification_id: int) -> Redirect:
    """Marks one's own notification read and goes to its complaint. A GET on purpose, so the
    link opens like any link (new tab, middle click): the only change it makes is the read
    flag of the viewer's own notification, which a forged request cannot turn into harm.
    Someone else's notification, or none, answers 404 and changes nothing."""
    user = user_of(request)
    row = await (Notification.select(Notification.id, Notification.read_at,
                                     Notification.complaint.number.as_alias("number"))
                 .where((Notification.id == notification_id) & (Notification.user == user.id))
                 .first())
    if row is None:
        raise NotFoundException()
    if row["read_at"] is None:
        await Notification.update({Notification.read_at: utcnow()}).where(
            Notification.id == notification_id)
    return Redirect(f"/complaints/{row['number']}" if row["number"] else "/notifications")


@get("/notifications/bell")
async def bell(request: Request) -> object:
    """The bell fragment for HTMX polling; never cached."""
    unread = await queries.unread_count(user_of(request).id)
    return render(request, "notifications/_bell.html", unread=unread,
                  headers={"Cache-Control": "no-store"})


@post("/notifications/{notification_id:int}/read")
async def mark_read(request: Request, notification_id: int) -> object:
    user = user_of(request)
    await Notification.update({Notification.read_at: utcnow()}).where(
        (Notification.id == notification_id) & (Notification.user == user.id)
        & Notification.read_at.is_null())
    return redirect("/notifications", _("Marked as read."), request)


@post("/notifications/read")
async def mark_all_read(request: Request) -> object:
    user = user_of(request)
    await Notification.update({Notification.read_at: utcnow()}).where(
        (Notification.user == user.id) & Notification.read_at.is_null())
    return redirect("/notifications", _("All notifications are marked as read."), request)


ROUTES = [notifications_page, open_notification, bell, mark_read, mark_all_read]
