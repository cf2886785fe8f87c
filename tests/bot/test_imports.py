"""What a serving process loads: only what serving needs (charts, Alembic, the emulator, httpx for outbound calls
and the terminal libraries it pulls in — rich, pygments — load when used)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("alembic", "mako", "matplotlib", "numpy", "PIL", "bot.slack_emulator", "hypothesis", "httpx", "rich",
         "pygments", "bot.outbound_transport")


def test_serving_imports_no_charts_alembic_or_emulator():
    probe = ("import json, sys, bot.cli, bot.server; "
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {list(HEAVY)!r} "
             f"or any(m.startswith(h + '.') or m == h for h in {list(HEAVY)!r}))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded == []
