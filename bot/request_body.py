"""Reading a request body without trusting its size: the cap is checked before and while it is read."""

from __future__ import annotations

from starlette.requests import Request


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None once it passes `limit` bytes: a declared Content-Length over the limit is refused unread,
    and a streamed body is dropped as soon as it grows past it, so nobody can make us hold 20 MB."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
