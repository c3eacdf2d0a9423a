"""Piccolo tables. Every instant is a Timestamptz stored in UTC."""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.readable import Readable
from piccolo.table import Table


class Department(Table):
    code = Varchar(length=16, unique=True)
    name_zh = Varchar(length=64)
    name_en = Varchar(length=64)

    @classmethod
    def get_readable(cls):
        return Readable(template="%s", columns=[cls.code])


class User(Table, tablename="portal_user"):
    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=255)
    display_name = Varchar(length=64)
    email = Varchar(length=255, default="")
    role = Varchar(length=16)
    department = Varchar(length=16, null=True, default=None)  # Department.code
    is_active = Boolean(default=True)


class ComplaintCounter(Table):
    """One row a year; the row lock makes numbers gap-free under concurrency."""

    year = Integer(unique=True)
    value = Integer(default=0)


class Complaint(Table):
    number = Varchar(length=20, unique=True)
    status = Varchar(length=24)
    version = Integer(default=1)
    received_at = Timestamptz()
    logged_at = Timestamptz()
    channel = Varchar(length=16)
    category = Varchar(length=16)
    logged_by = ForeignKey(references=User)
    customer_name = Varchar(length=100)
    customer_phone = Varchar(length=32, default="", index=True)
    customer_email = Varchar(length=255, default="", index=True)
    customer_address = Varchar(length=255, default="")
    product = Varchar(length=200, default="")
    model_batch = Varchar(length=100, default="")
    order_no = Varchar(length=64, default="")
    purchase_date = Date(null=True, default=None)
    occurred_at = Timestamptz(null=True, default=None)
    location = Varchar(length=200, default="")
    complained_department = Varchar(length=16, null=True, default=None)
    complained_person = Varchar(length=100, default="")
    description = Text()
    demand = Text(default="")
    claimed_loss = Numeric(digits=(12, 2), null=True, default=None)
    confirmed_loss = Numeric(digits=(12, 2), null=True, default=None)
    criteria = Varchar(length=200, default="")
    grade = Varchar(length=4)
    urgent = Boolean(default=False)
    is_second = Boolean(default=False)
    previous_number = Varchar(length=20, null=True, default=None)
    department = Varchar(length=16, null=True, default=None)  # handling department code
    invalid_kind = Varchar(length=16, default="")
    invalid_reason = Text(default="")
    duplicate_of = Varchar(length=20, null=True, default=None)
    cause = Text(default="")
    solution = Text(default="")
    corrective_action = Text(default="")
    compensation = Numeric(digits=(12, 2), null=True, default=None)
    reply = Text(default="")
    dispatched_at = Timestamptz(null=True, default=None)
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = Integer(null=True, default=None)  # the handler who signed receipt
    first_contact_at = Timestamptz(null=True, default=None)
    result_submitted_at = Timestamptz(null=True, default=None)
    signed_off_at = Timestamptz(null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)
    replied_at = Timestamptz(null=True, default=None)


class ComplaintEvent(Table):
    """投诉处置记录: one row per change, written in the same transaction as the change."""

    complaint = ForeignKey(references=Complaint, index=True)
    at = Timestamptz()
    actor = ForeignKey(references=User, null=True)
    action = Varchar(length=32)
    from_status = Varchar(length=24, default="")
    to_status = Varchar(length=24, default="")
    note = Text(default="")
    changes = Text(default="")  # JSON: {field: [before, after]}


class Attachment(Table):
    complaint = ForeignKey(references=Complaint, index=True)
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    storage_key = Varchar(length=100)
    uploaded_by = ForeignKey(references=User, null=True)
    uploaded_at = Timestamptz()


class Notification(Table):
    """In-app notice; the text is rendered in the reader's language from kind + complaint."""

    user = ForeignKey(references=User, index=True)
    complaint = ForeignKey(references=Complaint, null=True)
    kind = Varchar(length=32)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class ContactView(Table):
    """DOMAIN §8: every display of a customer's full contact details is logged."""

    user = ForeignKey(references=User)
    complaint = ForeignKey(references=Complaint)
    at = Timestamptz()
