from litestar import Request, get, post

from db import queries
from db.tables import Notification
from portal.i18n import _
from portal.timeutil import utcnow
from portal.web import redirect, render, user_of


@get("/notifications")
async def notifications_page(request: Request) -> object:
    user = user_of(request)
    return render(request, "notifications/notifications.html",
                  items=await queries.notifications_of(user.id), nav="notifications")


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


ROUTES = [notifications_page, bell, mark_read, mark_all_read]
