"""What a serving process loads: only what serving needs (charts, Alembic, the emulator, httpx for outbound calls
and the terminal libraries it pulls in — rich, pygments —, PyYAML for lifecycle files, and the other database's
dialect load when used).

The probe builds the server as `headway serve` does (every handler registered, the web app, the scheduler), not
only its modules: a handler module importing a heavy library at its top is what brought httpx back once."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("alembic", "mako", "matplotlib", "numpy", "PIL", "bot.slack_emulator", "hypothesis", "httpx", "rich",
         "pygments", "bot.outbound_transport", "icalendar", "recurring_ical_events", "sqlalchemy.dialects.postgresql",
         "asyncpg", "yaml")

PROBE = """
import json, sys
import bot.cli, bot.server
from bot.config import load_settings
settings = load_settings(slack_bot_token="xoxb-probe", slack_signing_secret="probe-secret-0123456789",
                         database_url="sqlite+aiosqlite:///" + sys.argv[1], scheduler_enabled=True)
bot.server.HeadwayServer(settings)
heavy = sys.argv[2].split(",")
print(json.dumps(sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))))
"""


def test_a_built_sqlite_server_loads_no_charts_alembic_emulator_httpx_or_postgresql(tmp_path):
    loaded = json.loads(subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "probe.db"), ",".join(HEAVY)],
                                       capture_output=True, text=True, check=True).stdout)
    assert loaded == []
