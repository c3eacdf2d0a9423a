"""The committed htmx file is the version pinned in package.json (the npm package htmx.org)."""

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
