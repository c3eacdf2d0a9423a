"""The committed front-end files are the versions pinned in package.json (npm packages)."""

import json
import re
from pathlib import Path

from portal.templating import htmx_version, pinned_version

ROOT = Path(__file__).resolve().parents[2]


def test_vendored_htmx_matches_the_pin():
    pin = json.loads((ROOT / "package.json").read_text())["dependencies"]["htmx.org"]
    path = ROOT / "static" / "vendor" / f"htmx-{pin}.min.js"
    assert path.exists()
    assert re.search(r'version:"([^"]+)"', path.read_text()).group(1) == pin
    assert htmx_version() == pin
    assert [p.name for p in (ROOT / "static" / "vendor").glob("htmx-*.js")] == [path.name]


def test_vendored_chartjs_matches_the_pin():
    pin = json.loads((ROOT / "package.json").read_text())["dependencies"]["chart.js"]
    path = ROOT / "static" / "vendor" / f"chart-{pin}.umd.min.js"
    assert path.exists()
    text = path.read_text()
    assert re.search(r"Chart\.js v(\S+)", text).group(1) == pin  # the licence banner
    assert f'version="{pin}"' in text  # Chart.version
    assert pinned_version("chart.js") == pin
    assert [p.name for p in (ROOT / "static" / "vendor").glob("chart-*.js")] == [path.name]


def test_vendored_axe_matches_the_pin():
    # axe-core audits the pages in the end-to-end tests only, so it lives in e2e/vendor.
    pin = json.loads((ROOT / "package.json").read_text())["dependencies"]["axe-core"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pin), "pin an exact version"
    path = ROOT / "e2e" / "vendor" / f"axe-{pin}.min.js"
    assert path.exists()
    text = path.read_text()
    assert re.match(r"/\*! axe v(\S+)", text).group(1) == pin  # the licence banner
    assert f'axe.version="{pin}"' in text
    assert [p.name for p in (ROOT / "e2e" / "vendor").glob("axe-*.js")] == [path.name]
    assert not list((ROOT / "static" / "vendor").glob("axe-*.js")), "the app must not serve axe"
