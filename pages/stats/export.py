"""The breakdown table of /stats as files: CSV (UTF-8 with a BOM, so that Excel reads the
Chinese headers; rates as percentages with one decimal) and XLSX (numbers kept as numbers,
with percentage, one-decimal and whole-number formats). Headers in the request's language,
one row per group, then the total; a figure with no data is an empty cell."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pages.stats import view
from portal.periods import Period

NUMBER_FORMATS = {"count": "0", "rate": "0.0%", "hours": "0.0", "score": "0.0"}


def headers(by: str) -> list[str]:
    return [str(view.BREAKDOWN_LABELS[by]), *(str(k.label) for k in view.KPIS)]


def csv_bytes(by: str, rows: list[view.Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(by))
    for row in rows:
        writer.writerow([_text(row.label),
                         *(view.csv_value(row.value(k), k.kind) for k in view.KPIS)])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(period: Period, by: str, rows: list[view.Row]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", "_", period.key)[:31]
    book.properties.title = f"{view.period_name(period)} · {view.BREAKDOWN_LABELS[by]}"
    sheet.append(headers(by))
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="F0F4F8")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([row.label, *(_number(row.value(k), k.kind) for k in view.KPIS)])
        sheet.cell(sheet.max_row, 1).data_type = "s"  # a name starting with "=" is no formula
        for kpi, cell in zip(view.KPIS, sheet[sheet.max_row][1:], strict=True):
            cell.number_format = NUMBER_FORMATS[kpi.kind]
        if row.total:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
    sheet.column_dimensions["A"].width = 18
    for i in range(2, len(view.KPIS) + 2):
        sheet.column_dimensions[get_column_letter(i)].width = 12
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "B2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _text(label: str) -> str:
    """A group's name (an administrator's department name) never runs as a spreadsheet
    formula."""
    return "'" + label if label.startswith(("=", "+", "-", "@")) else label


def _number(value, kind: str):
    if value is None:
        return None
    if kind == "count":
        return int(value)
    return float(value)
