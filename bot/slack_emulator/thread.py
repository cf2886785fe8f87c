"""Run the emulator on its own event loop in a background thread.

Sync code (the CLI demo, benchmarks, a sync test) gets the same attributes as
`SlackEmulator`; every access is executed on the emulator's loop so state is
never touched from two threads at once.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from .config import EmulatorConfig
from .server import SlackEmulator


class EmulatorThread:
    """`with EmulatorThread(config) as emu: emu.api_url, emu.calls, emu.fail_next(...)`."""

    def __init__(self, config: EmulatorConfig | None = None, start_timeout: float = 10.0) -> None:
        self.emulator = SlackEmulator(config)
        self._start_timeout = start_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> EmulatorThread:
        self._thread = threading.Thread(target=self._main, name="slack-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            raise TimeoutError("slack emulator did not start")
        if self._error is not None:
            raise RuntimeError("slack emulator failed to start") from self._error
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.emulator.start())
        except BaseException as exc:  # surface start errors to the caller
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self.emulator.stop())
        loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def run(self, func: Callable[[], Any], timeout: float | None = 30.0) -> Any:
        """Execute `func()` (sync or returning an awaitable) on the emulator loop."""
        if self._loop is None:
            raise RuntimeError("emulator thread not started")
        if threading.current_thread() is self._thread:
            return func()

        async def runner() -> Any:
            result = func()
            return await result if inspect.isawaitable(result) else result

        return asyncio.run_coroutine_threadsafe(runner(), self._loop).result(timeout)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(type(self.emulator), name, None)
        if callable(attr) and not isinstance(attr, property):

            @functools.wraps(attr)
            def proxy(*args: Any, **kwargs: Any) -> Any:
                return self.run(lambda: getattr(self.emulator, name)(*args, **kwargs), timeout=None)

            return proxy
        value = self.run(lambda: getattr(self.emulator, name))
        if isinstance(value, list):
            return list(value)
        if isinstance(value, dict):
            return dict(value)
        return value
