"""`headway serve` runs on uvloop and httptools (dependencies: a sixth less CPU per request, bench/RESULTS.md)."""

from __future__ import annotations

import asyncio

from bot.serving import event_loop_factory, serving_config


def test_serve_runs_on_uvloop_and_parses_http_with_httptools():
    factory = event_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop) and type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
    config = serving_config(object(), "info")
    assert config.http == "httptools"
    config.load()
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"
