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


async def test_once_started_the_server_keeps_what_it_built_out_of_full_collections():
    """Everything built before serving lives as long as the process: a full collection need not walk it."""
    import gc

    from bot.serving import Server, listening_socket

    async def app(scope, receive, send):  # lifespan only
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})

    sock = listening_socket("127.0.0.1", 0)
    config = serving_config(app, "warning")
    config.log_config = None
    server = Server(config)
    gc.unfreeze()
    try:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            assert not task.done(), task
            await asyncio.sleep(0.005)
        assert gc.get_freeze_count() > 1000
        server.should_exit = True
        await task
    finally:
        gc.unfreeze()
        sock.close()
