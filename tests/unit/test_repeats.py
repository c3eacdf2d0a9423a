import pytest

from portal.repeats import Matter, first_repeat, matched_by, similarity


def test_similar_chinese_descriptions():
    assert similarity("底座漏电", "底座漏电，插上就跳闸") == pytest.approx(6 / 11)
    assert similarity("底座漏电", "底座 漏电!") == 1.0
    assert similarity("底座漏电", "快递员态度恶劣，送货迟到") == 0.0
    assert similarity("", "底座漏电") == 0.0


def test_case_width_and_punctuation_do_not_matter():
    assert similarity("Kettle LEAKS water", "kettle leaks water.") == 1.0
    assert similarity("ＡＢＣ１２３", "abc123") == 1.0


@pytest.mark.parametrize("new,old,why", [
    # same category and same product (spaces and case aside)
    (Matter("quality", "电热水壶 K1", "", "把手松动"), Matter("quality", "电热水壶k1", "", "底座漏电"),
     "product"),
    # same category and same order number
    (Matter("quality", "", "SO-001", "把手松动"), Matter("quality", "其他", "so001", "屏幕碎了"),
     "order"),
    # a similar description, whatever the category
    (Matter("service", "", "", "底座漏电，插上就跳闸"), Matter("quality", "", "", "底座漏电"),
     "description"),
    # same phone, different product, unrelated text: not the same matter
    (Matter("quality", "电热水壶", "", "底座漏电"), Matter("quality", "电饭煲", "", "内胆涂层脱落"), None),
    # same product but another category: a different matter unless the text is alike
    (Matter("service", "电热水壶", "", "安装师傅迟到两小时"), Matter("quality", "电热水壶", "", "底座漏电"),
     None),
    # an empty product or order number never matches by itself
    (Matter("quality", "", "", "把手松动"), Matter("quality", "", "", "屏幕碎了"), None),
])
def test_matched_by(new, old, why):
    assert matched_by(new, old) == why


def test_first_repeat_takes_the_first_match_in_the_order_given():
    new = Matter("quality", "电热水壶", "", "底座漏电")
    earlier = [("A", Matter("usage", "", "", "不会设置")), ("B", Matter("quality", "电热水壶")),
               ("C", Matter("quality", "电热水壶"))]
    assert first_repeat(new, earlier) == ("B", "product")
    assert first_repeat(new, earlier[:1]) is None
