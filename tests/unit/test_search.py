"""What a search box query means (portal/search.py)."""

import pytest

from portal.search import MAX_QUERY, parse_query


def test_a_whole_number_is_an_exact_number_in_capitals():
    sq = parse_query("  ts-2026-000113 ")
    assert sq.number == "TS-2026-000113" and not sq.fragment and not sq.phone_suffix


@pytest.mark.parametrize("typed, fragment", [
    ("000113", "000113"), ("113", "113"), ("2026-000113", "2026-000113"),
    ("TS-000113", "000113"), ("ts-2026-0001", "2026-0001"), ("TS113", "113"),
])
def test_digits_and_parts_of_a_number_are_a_fragment(typed, fragment):
    assert parse_query(typed).fragment == fragment


def test_four_digits_are_also_the_end_of_a_phone():
    sq = parse_query("5678")
    assert sq.phone_suffix == "5678" and sq.fragment == "5678"


@pytest.mark.parametrize("typed", ["567", "56789", "12-34"])
def test_other_digit_counts_are_no_phone_suffix(typed):
    assert parse_query(typed).phone_suffix == ""


def test_a_whole_phone_with_spaces_is_a_phone():
    sq = parse_query("135 1111 2222")
    assert sq.phone == "13511112222"


def test_an_email_is_an_email():
    sq = parse_query("zw@example.com")
    assert sq.email == "zw@example.com" and not sq.fragment


def test_words_are_text_only():
    sq = parse_query("压缩机 噪音")
    assert (sq.text, sq.number, sq.fragment, sq.phone, sq.phone_suffix) == ("压缩机 噪音", "", "", "", "")
    assert not sq.short


def test_one_or_two_characters_are_short():
    assert parse_query("王").short and parse_query("欧阳").short and not parse_query("欧阳娜").short


def test_only_one_character_is_searched_in_the_window():
    """Two characters have a bigram (db/search.py searches every complaint for them)."""
    assert parse_query("王").windowed and parse_query("5").windowed
    assert not parse_query("漏电").windowed and not parse_query("欧阳娜").windowed


def test_blank_is_empty_and_long_queries_are_cut():
    assert parse_query("   ").is_empty and parse_query(None).is_empty
    assert len(parse_query("x" * 500).text) == MAX_QUERY
