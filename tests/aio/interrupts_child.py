"""The child process of test_signals.py: `Interrupts` around work that will not end.

`python interrupts_child.py MODE [DEADLINE]`, MODE one of:

- `listening`: the loop listens for the first signal, then its stop never ends;
- `blocked`: the loop listens, but its thread is stuck in a call when signals come;
- `preparing`: nothing listens yet, the main thread is in a call.

Prints `ready` when signals may come and `stopping` when the first reached the loop.
"""

from __future__ import annotations

import asyncio
import sys
import time

from minprow.aio.signals import Interrupts


def say(text: str) -> None:
    print(text, flush=True)


async def listening(interrupts: Interrupts) -> None:
    stop = asyncio.Event()
    interrupts.on_stop(stop.set)
    say("ready")
    await stop.wait()
    say("stopping")
    await asyncio.Event().wait()  # a stop that never ends


async def blocked(interrupts: Interrupts) -> None:
    interrupts.on_stop(lambda: say("stopping"))
    say("ready")
    time.sleep(600)  # noqa: ASYNC251 - the loop's own thread, stuck in a call: the point


def main() -> None:
    mode = sys.argv[1]
    deadline = float(sys.argv[2]) if len(sys.argv) > 2 else None
    with Interrupts("child", deadline=deadline, announce=True) as interrupts:
        if mode == "preparing":
            say("ready")
            time.sleep(600)
        else:
            asyncio.run(listening(interrupts) if mode == "listening" else blocked(interrupts))


if __name__ == "__main__":
    main()
