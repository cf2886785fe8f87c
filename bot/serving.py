"""How `headway serve` runs uvicorn, in a module light enough for the benchmarks' bare app to share it."""

from __future__ import annotations

import uvicorn


def serving_config(app: object, host: str, port: int, log_level: str) -> uvicorn.Config:
    """uvicorn binds host and port itself (so asyncio sets TCP_NODELAY on accepted connections); access log on."""
    return uvicorn.Config(app, host=host, port=port, lifespan="on", log_level=log_level)
