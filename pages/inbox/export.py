"""/inbox/export.csv and /inbox/export.xlsx: every complaint that matches the inbox's current
filters (not only the page on screen), read in keyset batches, in the list's order (`sort`:
nearest deadline first by default, or newest first), with the list's assignee. Contact data is
masked exactly as the list shows it (DOMAIN §8: lists never show full contacts). CSV is UTF-8
with a BOM and neutralises formulas with pages/stats/export.py's helper; XLSX is written in
openpyxl's write-only mode, cells typed as text or dates."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from litestar import Request, get
from litestar.response import Response, Stream
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from db import queries
from pages.inbox.filters import STAFF, inbox_filter
from pages.stats.export import _text as safe_text
from portal import labels
from portal.contact import mask_email, mask_phone
from portal.i18n import _, get_locale
from portal.timeutil import utcnow

BATCH = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def matching_rows(f: queries.ListFilter) -> AsyncIterator[tuple[dict, dict[int, str]]]:
    """The rows in the list's order, each with the names of its batch's assignees: the same
    pages the list reads (queries.complaint_page), one after the other by their cursor."""
    while True:
        rows, next_cursor = await queries.complaint_page(f, page_size=BATCH)
        names = await queries.user_names({r["assignee"] for r in rows if r["assignee"]})
        for row in rows:
            yield row, names
        if next_cursor is None:
            return
        if f.sort == "due":
            f.after = next_cursor
        else:
            f.before = next_cursor


def headers() -> list[str]:
    return [str(h) for h in (_("Number"), _("Status"), _("Grade"), _("Urgent"), _("Received at"),
                             _("Logged at"), _("Channel"), _("Category"), _("Customer"),
                             _("Phone"), _("Email"), _("Department"), _("Assigned to"),
                             _("Next deadline"), _("Description"))]


class Cells:
    """One row's values as the list shows them, in the request's language and time zone."""

    def __init__(self, request: Request) -> None:
        self.policy = request.app.state.policy
        self.tz = request.app.state.settings.timezone
        self.en = get_locale() == "en"

    def row(self, r: dict, departments: dict, assignees: dict[int, str]) -> list:
        dept = departments.get(r["department"])
        return [
            r["number"],
            str(labels.STATUS_LABELS.get(r["status"], r["status"])),
            self._label(self.policy.grade, r["grade"]),
            str(_("yes")) if r["urgent"] else "",
            self._time(r["received_at"]),
            self._time(r["logged_at"]),
            self._label(self.policy.channel, r["channel"]),
            self._label(self.policy.category, r["category"]),
            r["customer_name"],
            mask_phone(r["customer_phone"]),
            mask_email(r["customer_email"]),
            (dept["name_en"] if self.en else dept["name_zh"]) if dept else "",
            assignees.get(r["assignee"], "") if r["assignee"] else "",
            self._time(r["next_due"]),
            r["description"],
        ]

    def _label(self, lookup, code) -> str:
        if not code:
            return ""
        try:
            return lookup(code).label("en" if self.en else "zh_CN")
        except (KeyError, ValueError):
            return code

    def _time(self, value):
        return value.astimezone(self.tz).replace(tzinfo=None) if value else None


def _xlsx_cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # "=…" typed by a customer stays text, never a formula
    else:
        cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def _filename(ext: str) -> str:
    return f"complaints-{utcnow().strftime('%Y%m%d-%H%M')}.{ext}"


def _disposition(ext: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{_filename(ext)}"',
            "Cache-Control": "no-store"}


@get("/inbox/export.csv", guards=[STAFF])
async def export_csv(request: Request, status: str = "", grade: str = "", urgent: bool = False,
                     q: str = "", department: str = "", extension: bool = False,
                     assigned: str = "", sort: str = "due") -> Stream:
    f = await inbox_filter(request, status, grade, urgent, q, department, extension, assigned,
                           sort)
    cells = Cells(request)
    departments = {d["code"]: d for d in await queries.departments()}
    head = headers()

    async def lines() -> AsyncIterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(head)
        yield b"\xef\xbb\xbf" + _drain(out)
        count = 0
        async for r, names in matching_rows(f):
            writer.writerow([safe_text(v.strftime("%Y-%m-%d %H:%M")) if hasattr(v, "strftime")
                             else safe_text(v or "") for v in cells.row(r, departments, names)])
            count += 1
            if count % 200 == 0:
                yield _drain(out)
        yield _drain(out)

    return Stream(lines(), media_type="text/csv; charset=utf-8", headers=_disposition("csv"))


def _drain(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode("utf-8")


@get("/inbox/export.xlsx", guards=[STAFF])
async def export_xlsx(request: Request, status: str = "", grade: str = "",
                      urgent: bool = False, q: str = "", department: str = "",
                      extension: bool = False, assigned: str = "",
                      sort: str = "due") -> Response:
    f = await inbox_filter(request, status, grade, urgent, q, department, extension, assigned,
                           sort)
    cells = Cells(request)
    departments = {d["code"]: d for d in await queries.departments()}
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Complaints"))[:31])
    sheet.freeze_panes = "A2"
    sheet.append(headers())
    async for r, names in matching_rows(f):
        sheet.append([_xlsx_cell(sheet, v) for v in cells.row(r, departments, names)])
    buf = io.BytesIO()
    book.save(buf)
    return Response(content=buf.getvalue(), media_type=XLSX_TYPE, headers=_disposition("xlsx"))


ROUTES = [export_csv, export_xlsx]
