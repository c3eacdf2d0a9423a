import pytest

from portal.numbering import format_number, parse_number


def test_format_pads_to_six_digits():
    assert format_number(2026, 123) == "TS-2026-000123"
    assert format_number(2027, 999_999) == "TS-2027-999999"


@pytest.mark.parametrize("sequence", [0, -1, 1_000_000])
def test_format_refuses_sequences_out_of_range(sequence):
    with pytest.raises(ValueError):
        format_number(2026, sequence)


@pytest.mark.parametrize("text,parsed", [
    ("TS-2026-000123", (2026, 123)), (" ts-2026-000001 ", (2026, 1)),
    ("TS-2026-123", None), ("XX-2026-000123", None), ("TS-26-000123", None), ("", None),
])
def test_parse(text, parsed):
    assert parse_number(text) == parsed
