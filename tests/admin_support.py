"""Admin page tests change the shared demo users and departments: snapshot them and put
them back, and remove whatever users and departments a test created."""

from __future__ import annotations

import re

from db.tables import AdminEvent, Department, OutboxEmail, SetPasswordLink, User

USERS = ["clerk", "office", "cshead", "admin", "qa.head", "qa.staff", "svc.head", "svc.staff"]


def restoring(client, viewers):
    """For a fixture to `yield from`: the demo viewers, and every user and department as
    before once the test ends."""
    async def snapshot():
        return await User.select(), await Department.select()

    users, departments = client.run(snapshot)
    yield viewers

    async def restore():
        await SetPasswordLink.delete(force=True)
        await AdminEvent.delete(force=True)
        await User.delete().where(User.id.not_in([u["id"] for u in users]))
        for u in users:
            await User.update({getattr(User, k): v for k, v in u.items() if k != "id"}).where(
                User.id == u["id"])
        await Department.delete().where(Department.id.not_in([d["id"] for d in departments]))
        for d in departments:
            await Department.update({getattr(Department, k): v for k, v in d.items()
                                     if k != "id"}).where(Department.id == d["id"])

    client.run(restore)


async def user_row(username: str) -> dict | None:
    return await User.select().where(User.username == username).first()


async def events(target: str) -> list[dict]:
    return await AdminEvent.select().where(AdminEvent.target == target).order_by(AdminEvent.id)


async def outbox() -> list[dict]:
    return await OutboxEmail.select().order_by(OutboxEmail.id)


def link_in(body: str) -> str:
    """The /set-password/<token> path in an email body."""
    return re.search(r"https?://[^/\s]+(/set-password/[A-Za-z0-9_-]+)", body).group(1)
