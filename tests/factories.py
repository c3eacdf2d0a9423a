"""Test data made through the same commands the pages use."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from db.commands import IntakeData, log_complaint
from db.tables import Complaint, ComplaintEvent
from portal.demo import advance
from portal.policy import load_policy
from portal.timeutil import utcnow

TZ = ZoneInfo("Asia/Shanghai")


def intake_data(**overrides) -> IntakeData:
    values = dict(
        customer_name="张伟", customer_phone="13812345678", customer_email="zw@example.com",
        customer_address="上海市", channel="phone", category="quality",
        received_at=utcnow() - timedelta(hours=1), occurred_at=None, location="", product="电热水壶",
        model_batch="", order_no="", purchase_date=None, complained_department=None,
        complained_person="", description="底座漏电", demand="换新", claimed_loss=Decimal("0"),
        criteria=["II-5"], urgent=False,
    )
    values.update(overrides)
    return IntakeData(**values)


async def make_complaint(viewers, status: str = "logged", department: str = "QA",
                         logged_by: str = "clerk", now: datetime | None = None,
                         attachments_dir: Path | None = None, **overrides) -> dict:
    """A complaint logged by `logged_by` and walked to `status`; returns its row."""
    now = now or utcnow()
    number = await log_complaint(intake_data(**overrides), viewers[logged_by].id, [], now,
                                 load_policy(), attachments_dir or Path("/tmp/portal-att"), TZ)
    await advance(number, status, viewers, department, start=now, step=timedelta(seconds=1))
    return await Complaint.select().where(Complaint.number == number).first()


def reload(client, number: str) -> dict:
    """The complaint's row as stored now, through a page test's client."""
    return client.run(lambda: Complaint.select().where(Complaint.number == number).first())


def events(client, cid: int, action: str | None = None) -> list[dict]:
    """The complaint's history rows (of one action), oldest first."""
    query = ComplaintEvent.select().where(ComplaintEvent.complaint == cid)
    if action:
        query = query.where(ComplaintEvent.action == action)
    return client.run(lambda: query.order_by(ComplaintEvent.id))
