"""A blocking iterator of byte chunks (a Docker log stream) as an async iterator.

A daemon thread reads the stream and hands each chunk to the event loop through
an asyncio queue, so a follow that lasts as long as a job never holds a worker
of the default executor. When the consumer stops iterating, `close` is called
to unblock the read, and the thread ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator

_END = object()


async def stream_in_thread(
    chunks: Iterator[bytes], close: Callable[[], None], *, name: str
) -> AsyncIterator[bytes]:
    """Yield what `chunks` yields; an exception it raises is raised here."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    stopped = threading.Event()

    def hand_over(item: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def pump() -> None:
        try:
            for chunk in chunks:
                if stopped.is_set():
                    return
                hand_over(chunk)
        except BaseException as err:  # handed to the consumer, who decides
            if not stopped.is_set():
                hand_over(err)
        finally:
            hand_over(_END)

    thread = threading.Thread(target=pump, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item
    finally:
        stopped.set()
        with contextlib.suppress(Exception):  # already closed, or closed under us
            close()
