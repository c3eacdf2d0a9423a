"""客户投诉管理 — the complaint-management portal."""

import os

# Piccolo finds its engine through this module, wherever the command is run from.
os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")
