"""DOMAIN §4: a second complaint (二次投诉) is the same customer AND a similar matter. Pure.

Same customer: the same phone or email (the caller looks those up). Similar matter: the same
category and the same product or order number, or a description that reads alike. "Alike"
is the Dice coefficient of the two descriptions' character bigrams, after NFKC folding, case
folding and dropping spaces and punctuation: it needs no word segmentation, so it works for
Chinese as for English. At 0.5, "底座漏电" and "底座漏电，插上就跳闸" match (0.55), while two
complaints of one customer about unrelated things share almost no bigram. Only a match is
flagged and linked, and only then do I-7 / II-6 apply; other recent complaints of the
customer are information for the clerk.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

SIMILAR_FROM = 0.5


@dataclass(frozen=True)
class Matter:
    category: str
    product: str = ""
    order_no: str = ""
    description: str = ""


def normalised(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def bigrams(text: str) -> set[str]:
    text = normalised(text)
    if len(text) < 2:
        return {text} if text else set()
    return {text[i:i + 2] for i in range(len(text) - 1)}


def similarity(a: str | None, b: str | None) -> float:
    """Dice coefficient of the character bigrams, 0 to 1."""
    x, y = bigrams(a or ""), bigrams(b or "")
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def matched_by(new: Matter, old: Matter) -> str | None:
    """Why `old` is the same matter as `new`: "order", "product", "description", or None."""
    if new.category == old.category:
        if normalised(new.order_no) and normalised(new.order_no) == normalised(old.order_no):
            return "order"
        if normalised(new.product) and normalised(new.product) == normalised(old.product):
            return "product"
    if similarity(new.description, old.description) >= SIMILAR_FROM:
        return "description"
    return None


def first_repeat(new: Matter, earlier: Iterable[tuple[object, Matter]]):
    """The first (newest, as given) earlier complaint of the same matter: (item, why) or None."""
    for item, matter in earlier:
        why = matched_by(new, matter)
        if why:
            return item, why
    return None
