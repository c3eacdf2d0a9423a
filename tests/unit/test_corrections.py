"""Correcting the record (issue 12 §4): which fields a correction changes, as the history
shows them."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from portal.corrections import CORRECTABLE, changed_fields, cleaned, touches_repeat

SHANGHAI = timezone(timedelta(hours=8))
STORED = {
    "customer_name": "张伟", "customer_phone": "13812345678", "customer_email": "",
    "customer_address": "上海市", "channel": "phone", "category": "quality",
    "received_at": datetime(2026, 11, 24, 2, 0, 37, 123456, tzinfo=UTC), "occurred_at": None,
    "location": "", "product": "电热水壶", "model_batch": "", "order_no": "", "purchase_date": None,
    "complained_department": None, "complained_person": "", "description": "底座漏电",
    "demand": "换新", "claimed_loss": Decimal("0.00"),
    "grade": "II", "status": "closed",  # not correctable: never compared
}


def form(**changes):
    """What the form sends back when nothing was touched: times to the minute, local."""
    values = {name: STORED[name] for name in CORRECTABLE}
    values.update(received_at=datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI),
                  complained_department="", claimed_loss=Decimal("0"), occurred_at=None,
                  purchase_date=None, customer_email="  ")
    values.update(changes)
    return cleaned(values)


def test_an_untouched_form_changes_nothing():
    assert changed_fields(STORED, form()) == {}


def test_each_changed_field_with_its_stored_and_new_value_in_form_order():
    changes = changed_fields(STORED, form(customer_email="zw@example.com ", customer_phone="139-0000-1111",
                                          description="底座漏电，跳闸"))
    assert list(changes) == ["customer_phone", "customer_email", "description"]
    assert changes["customer_phone"] == ["13812345678", "13900001111"]  # normalised as at intake
    assert changes["customer_email"] == ["", "zw@example.com"]
    assert changes["description"] == ["底座漏电", "底座漏电，跳闸"]


def test_a_time_changes_only_when_it_differs_to_the_minute():
    assert changed_fields(STORED, form(received_at=datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI))) == {}
    moved = datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)
    assert changed_fields(STORED, form(received_at=moved)) == {
        "received_at": [STORED["received_at"], moved]}


def test_empty_optional_values_are_stored_as_null_and_compare_equal():
    values = form(occurred_at=None, purchase_date=None, complained_department="", claimed_loss=None)
    assert values["complained_department"] is None and values["claimed_loss"] is None
    assert changed_fields({**STORED, "claimed_loss": None}, values) == {}


def test_amounts_dates_and_departments():
    changes = changed_fields(STORED, form(claimed_loss=Decimal("150"), purchase_date=date(2026, 10, 1),
                                          complained_department="QA"))
    assert changes == {"purchase_date": [None, date(2026, 10, 1)],
                       "complained_department": [None, "QA"],
                       "claimed_loss": [Decimal("0.00"), Decimal("150.00")]}
    assert changed_fields({**STORED, "claimed_loss": 150.0}, form(claimed_loss=Decimal("150.00"))) == {}


def test_text_is_trimmed_before_comparing():
    assert changed_fields(STORED, form(customer_name=" 张伟 ", product="电热水壶\n")) == {}


def test_only_the_customer_and_the_matter_rerun_the_second_complaint_check():
    assert touches_repeat({"customer_phone": ["a", "b"]})
    assert touches_repeat({"order_no": ["", "SO1"]})
    assert not touches_repeat({"customer_name": ["a", "b"], "received_at": [1, 2]})
