"""`headway playground` as someone trying Headway meets it: one command, a page on loopback, Ctrl-C to stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests.bot.test_cli import assert_one_line_error, clean_env, free_port, headway_command

REPO = Path(__file__).resolve().parents[3]


def env(home: Path) -> dict[str, str]:
    """A clean environment that still runs this checkout's code (not another installed copy)."""
    return clean_env(home, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")


def test_playground_serves_the_page_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "playground.log"
    with log.open("w") as output:
        process = subprocess.Popen([*headway_command(), "playground", "--port", str(port)], cwd=tmp_path,
                                   env=env(tmp_path), stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "open http" not in log.read_text():
            assert process.poll() is None, f"the playground exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/playground/"
        assert url in log.read_text()
        assert "acting-as" in httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True, timeout=5).text
        people = httpx.get(url + "api/workspace", timeout=5).json()["people"]
        assert [p["name"] for p in people] == ["ada", "priya", "elena", "kenji", "lucas"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"the playground did not stop on Ctrl-C:\n{log.read_text()}") from None
    assert code == 0 and "Traceback" not in log.read_text(), log.read_text()
    assert not list(tmp_path.glob("*.db"))  # the throwaway database was not left behind


def test_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = subprocess.run([*headway_command(), "playground", "--port", str(taken.getsockname()[1])],
                                cwd=tmp_path, env=env(tmp_path), capture_output=True, text=True, timeout=60)
    assert_one_line_error(result, 1, "headway playground failed")


def test_playground_is_listed_and_explains_itself(tmp_path: Path) -> None:
    listed = subprocess.run([*headway_command(), "--help"], cwd=tmp_path, env=env(tmp_path), capture_output=True,
                            text=True, timeout=60)
    assert "playground" in listed.stdout
    helped = subprocess.run([*headway_command(), "playground", "--help"], cwd=tmp_path, env=env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and helped.stderr == ""
    assert "headway playground" in helped.stdout and "--scenario" in helped.stdout and "--port" in helped.stdout
