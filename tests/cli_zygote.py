"""A process that has imported Headway once and forks a fresh `headway` process for each CLI test.

Why: a `headway` process spends most of its CPU importing (SQLAlchemy, Alembic, Typer, Jinja, matplotlib…), and
the CLI tests start about a hundred of them; on 2 cores that was a fifth of the suite. Forking from a process that
has already imported everything keeps what those tests are about — a separate process with its own environment,
working directory, stdin, stdout, stderr and exit status, running `bot.cli:main` as the console script does — and
drops the imports. Tests whose subject is the installed script itself (that `headway` on PATH starts) still run it
for real (`tests.bot.test_cli.headway(..., real=True)`, and every `serve`/demo process the tests signal).

Protocol (one Unix socket per pytest worker; the client is `ZygoteClient` below): a request is one JSON line
`{"argv": [...], "cwd": ..., "env": {...}, "stdout": path, "stderr": path, "timeout": s}`; the zygote forks, the
child sets itself up and runs the CLI, and the zygote answers with one JSON line `{"returncode": n}` when the
child ends (`{"returncode": null}` after killing it at its timeout). Single-threaded on purpose: forking a process
with threads is unsafe, so the zygote never starts one and serves requests with `selectors`.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


def _preload() -> None:
    """Import what the CLI's commands import on first use, so that no forked child pays for it."""
    import importlib
    import pkgutil

    import bot

    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    import matplotlib.backends.backend_agg  # noqa: F401  (the digest's chart)
    import matplotlib.figure  # noqa: F401


def _run_child(request: dict) -> None:
    """In the forked child: become a fresh `headway` process, run the CLI, exit with its status."""
    try:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(number, signal.SIG_DFL)
        os.setsid()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        stdin = os.open(os.devnull, os.O_RDONLY)
        stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for source, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(source, target)
            os.close(source)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.argv = list(request["argv"])
        from bot.cli import main

        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if exit_.code is not None and not isinstance(exit_.code, int):
                print(exit_.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 — an uncaught exception ends a real process with status 1 and a traceback
        import traceback

        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def serve(path: str) -> None:
    _preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    running: dict[int, tuple[socket.socket, float]] = {}  # pid → (connection to answer, deadline)
    print("ready", flush=True)
    while True:
        for _ready in selector.select(timeout=0.01 if running else 1.0):
            connection, _ = listener.accept()
            with connection.makefile("r", encoding="utf-8") as lines:
                request = json.loads(lines.readline())
            pid = os.fork()
            if pid == 0:
                listener.close()
                connection.close()
                _run_child(request)
            running[pid] = (connection, time.monotonic() + float(request["timeout"]))
        for pid, (connection, deadline) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done and time.monotonic() > deadline:
                os.killpg(pid, signal.SIGKILL)
                done, status = os.waitpid(pid, 0)
                returncode = None
            elif done:
                returncode = os.waitstatus_to_exitcode(status)
            else:
                continue
            del running[pid]
            with connection:
                connection.sendall((json.dumps({"returncode": returncode}) + "\n").encode())


class ZygoteClient:
    """One zygote per pytest process, started on first use and ended with the process."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.path = str(home / "zygote.sock")
        self._outputs = 0
        self._lock = threading.Lock()
        self.process = subprocess.Popen([sys.executable, __file__, self.path], cwd=home, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the CLI zygote did not start (exit status {self.process.wait()})")

    def run(self, argv: list[str], cwd: Path, env: dict[str, str],
            timeout: float) -> subprocess.CompletedProcess[str]:
        with self._lock:
            self._outputs += 1
            number = self._outputs
        out, err = self.home / f"{number}.out", self.home / f"{number}.err"
        request = {"argv": argv, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(err),
                   "timeout": timeout}
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(self.path)
            connection.sendall((json.dumps(request) + "\n").encode())
            with connection.makefile("r", encoding="utf-8") as lines:
                answer = json.loads(lines.readline())
        stdout, stderr = out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
        out.unlink()
        err.unlink()
        if answer["returncode"] is None:
            raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
        return subprocess.CompletedProcess(argv, answer["returncode"], stdout, stderr)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


if __name__ == "__main__":
    # Run as a script, so its own folder (tests/, which holds a `bot` package of tests) leaves the import path.
    sys.path.remove(str(Path(__file__).resolve().parent))
    serve(sys.argv[1])
