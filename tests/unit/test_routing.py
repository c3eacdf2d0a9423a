import pytest

from portal.policy import load_policy
from portal.routing import default_department

POLICY = load_policy()


@pytest.mark.parametrize("category,complained,expected", [
    ("quality", None, "QA"), ("quality", "SVC", "QA"), ("usage", None, "TECH"),
    ("service", "SALES", "SALES"), ("service", None, None), ("other", "SVC", None),
    ("unknown", "SVC", None),
])
def test_default_department(category, complained, expected):
    assert default_department(POLICY, category, complained) == expected
