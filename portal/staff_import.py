"""Importing staff from a spreadsheet: read a CSV (UTF-8 with or without BOM, or GBK) or
XLSX file into rows, and judge each row against the users and departments there are: new,
changed (which fields), unchanged, or an error with its reasons. Pure: no SQL, no web."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import secrets
from dataclasses import dataclass, field

from itsdangerous import BadData, URLSafeSerializer

from portal.accounts import EMAIL_RE, USERNAME_RE, needs_department
from portal.i18n import _
from portal.workflow import Role

COLUMNS = ("username", "name", "email", "role", "department")
# Headers in Chinese, as a company's own staff list would have them.
HEADERS = {
    "username": "username", "用户名": "username", "账号": "username",
    "name": "name", "姓名": "name", "名称": "name",
    "email": "email", "邮箱": "email", "电子邮件": "email", "电子邮箱": "email",
    "role": "role", "角色": "role",
    "department": "department", "部门": "department",
}
ROLE_NAMES = {
    "员工": Role.EMPLOYEE, "首问责任人": Role.EMPLOYEE, "处理人": Role.HANDLER,
    "部门负责人": Role.DEPT_HEAD, "投诉管理": Role.OFFICE, "投诉管理部门": Role.OFFICE,
    "客服负责人": Role.CS_HEAD, "管理员": Role.ADMIN,
}
MAX_ROWS = 2000
SALT = "portal.staff-import.v1"


class ImportFileError(ValueError):
    """The file as a whole cannot be read: a message for the upload field."""


@dataclass
class Row:
    line: int  # the spreadsheet's row number, header = 1
    values: dict  # username, name, email, role, department (normalised)
    status: str = ""  # new | changed | unchanged | error
    changed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _cell(value) -> str:
    return "" if value is None else str(value).strip()


def _rows_from_table(table: list[list]) -> list[Row]:
    if not table:
        raise ImportFileError(_("The file is empty."))
    header = [HEADERS.get(_cell(h).lower(), HEADERS.get(_cell(h), "")) for h in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportFileError(_("The first row must name the columns; missing: %(columns)s.",
                                columns=", ".join(missing)))
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {c: "" for c in COLUMNS}
        for name, value in zip(header, cells, strict=False):
            if name:
                values[name] = _cell(value)
        if any(values.values()):
            rows.append(Row(number, values))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("At most %(n)d rows at a time.", n=MAX_ROWS))
    if not rows:
        raise ImportFileError(_("The file has no rows below the header."))
    return rows


def decode_csv(data: bytes) -> str:
    """The CSV's text, its encoding decided from the bytes: UTF-8 (with or without a BOM),
    else GB18030, the superset of GBK that Excel on Chinese Windows writes for "CSV (逗号分隔)".
    Chinese in GBK is practically never valid UTF-8, so trying UTF-8 first is safe."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)  # a BOM says UTF-8: broken bytes after it are an error
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("This CSV file is neither UTF-8 nor GBK text. Save it again as "
                            "CSV (UTF-8), or as an XLSX workbook."))


def read_csv(data: bytes) -> list[Row]:
    return _rows_from_table(list(csv.reader(io.StringIO(decode_csv(data)))))


def read_xlsx(data: bytes) -> list[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file is the same mistake to the user
        raise ImportFileError(_("This is not a readable XLSX file.")) from None
    sheet = book.worksheets[0]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    return _rows_from_table(table)


def read_file(filename: str, data: bytes) -> list[Row]:
    name = filename.lower()
    if name.endswith(".csv"):
        return read_csv(data)
    if name.endswith(".xlsx"):
        return read_xlsx(data)
    raise ImportFileError(_("Upload a .csv or .xlsx file."))


def _role(value: str) -> str | None:
    if value.lower() in {r.value for r in Role}:
        return value.lower()
    return ROLE_NAMES.get(value)


def _department(value: str, departments: dict[str, str]) -> str | None:
    """A department code, from its code (any case) or its Chinese name; None if unknown."""
    if not value:
        return ""
    by_code = {c.upper(): c for c in departments}
    if value.upper() in by_code:
        return by_code[value.upper()]
    return next((c for c, name in departments.items() if name == value), None)


def judge(rows: list[Row], users: dict[str, dict], departments: dict[str, str]) -> list[Row]:
    """users: username -> {name, email, role, department}; departments: active code -> name.
    Fills each row's status, changed fields and errors (all reasons, not only the first)."""
    seen: dict[str, int] = {}
    for row in rows:
        v, errors = row.values, []
        username = v["username"]
        if not username:
            errors.append(_("missing username"))
        elif not USERNAME_RE.match(username):
            errors.append(_("username may use letters, digits, dot, dash and underscore only"))
        elif username.lower() in seen:
            errors.append(_("duplicate username in the file (row %(line)d)",
                            line=seen[username.lower()]))
        else:
            seen[username.lower()] = row.line
        if not v["name"]:
            errors.append(_("missing name"))
        if v["email"] and not EMAIL_RE.match(v["email"]):
            errors.append(_("bad email address"))
        role = _role(v["role"])
        if role is None:
            errors.append(_("unknown role %(role)s", role=v["role"] or "—"))
        else:
            v["role"] = role
        code = _department(v["department"], departments)
        if code is None:
            errors.append(_("unknown department %(code)s", code=v["department"]))
        else:
            v["department"] = code
            if role and needs_department(role) and not code:
                errors.append(_("handlers and department heads need a department"))
        existing = users.get(username)
        if existing is None and not v["email"] and username:
            errors.append(_("a new user needs an email address for the set-password link"))
        row.errors = errors
        if errors:
            row.status = "error"
        elif existing is None:
            row.status = "new"
        else:
            row.changed = [c for c in COLUMNS[1:] if (existing.get(c) or "") != v[c]]
            row.status = "changed" if row.changed else "unchanged"
    return rows


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})


def sign_rows(secret: str, rows: list[Row]) -> str:
    """The parsed rows for the confirm form: signed, so the server gets back exactly what it
    previewed (and then judges it again against the database of that moment). Each preview
    gets its own random id, so a second confirmation of the same preview can be told from a
    new upload of the same file (db.users.import_users refuses it)."""
    return _serializer(secret).dumps({
        "id": secrets.token_hex(16),
        "rows": [[r.line, [r.values[c] for c in COLUMNS]] for r in rows],
    })


def unsign_import(secret: str, blob: str) -> tuple[str, list[Row]] | None:
    """(the preview's id, its rows), or None when the blob is not ours or was altered."""
    try:
        data = _serializer(secret).loads(blob)
    except BadData:
        return None
    if isinstance(data, list):  # signed before previews had an id: the blob stands for it
        key, data = hashlib.sha256(blob.encode()).hexdigest()[:32], {"rows": data}
    else:
        key = str(data.get("id") or "")[:32]
    if not key:
        return None
    return key, [Row(line, dict(zip(COLUMNS, values, strict=True)))
                 for line, values in data["rows"]]


def unsign_rows(secret: str, blob: str) -> list[Row] | None:
    found = unsign_import(secret, blob)
    return found[1] if found else None
