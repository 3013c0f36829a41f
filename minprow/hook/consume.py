"""The inbox's workers: deliveries taken oldest first, handled, marked done.

Hook answers a delivery as soon as the inbox has kept it; these workers are
where the handling happens, at the rate the machine sustains. `workers`
deliveries are handled at once (their handlers share the dispatcher's slots);
a burst past that rate waits in the inbox, in order, and drains as handlers
free up, while the answers stay fast.

A delivery is finished when every enabled plugin has handled it; as each
plugin finishes while others still run, the inbox records it, so a replay after
a crash runs only the rest. A delivery the process stops in the middle of
stays unfinished in the inbox and is handled again at the next start.

Every `maintain_every` seconds the workers' housekeeping adopts what stopped
replicas left (kube) and forgets finished deliveries past their retention.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator

from minprow.github.events import Event, MalformedEvent, parse_payload
from minprow.hook.dispatch import Delivery, Dispatcher
from minprow.hook.inbox import Inbox, InboxEntry, InboxError
from minprow.hook.pace import Pacer

log = logging.getLogger("minprow.hook")

DEFAULT_WORKERS = 64
RETRY_AFTER = 30.0
"""Seconds before a delivery whose handling failed outside the handlers (its payload
could not be read back, say) is tried again."""
MAINTAIN_EVERY = 30.0
"""Seconds between two adoption scans and retention prunes."""


class Consumer:
    """`workers` tasks handling the inbox's deliveries, and its housekeeping."""

    def __init__(
        self,
        inbox: Inbox,
        dispatcher: Dispatcher,
        *,
        workers: int = DEFAULT_WORKERS,
        maintain_every: float = MAINTAIN_EVERY,
    ) -> None:
        if workers < 1:
            raise ValueError("the hook needs at least one inbox worker")
        self.inbox = inbox
        self._dispatcher = dispatcher
        self._workers = workers
        self._maintain_every = maintain_every
        self._tasks: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[None]] = set()
        self._errors: set[str] = set()
        self._stopping = False
        self.pacer = Pacer(workers)

    async def start(self) -> None:
        """Open the inbox (queueing what it kept unfinished) and start the workers."""
        if not self.inbox.started:
            replayed = await self.inbox.start()
            if replayed:
                log.info(
                    "replaying %d webhook deliveries accepted and not finished before the "
                    "last stop (%s)",
                    replayed,
                    self.inbox.backend.where,
                    extra={"component": "hook"},
                )
        if self._tasks:
            return
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._work(), name=f"hook:inbox-worker:{n}")
            for n in range(self._workers)
        ]
        self._tasks.append(asyncio.create_task(self._maintain(), name="hook:inbox-maintenance"))
        self._tasks.append(asyncio.create_task(self.pacer.run(), name="hook:inbox-pacer"))

    async def stop(self, grace: float) -> int:
        """Take no more deliveries; give those being handled `grace` seconds, then
        cancel them (they stay unfinished, for the next start). Returns how many
        handler calls were cancelled."""
        self._stopping = True
        for task in self._tasks:
            if task not in self._busy:
                task.cancel()
        cancelled = await self._dispatcher.drain(grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        return cancelled

    async def _work(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        while not self._stopping:
            await self.pacer.acquire()
            try:
                entry = await self.inbox.take()
            except BaseException:
                await self.pacer.release()
                raise
            self._busy.add(task)
            try:
                await self._handle(entry)
            except asyncio.CancelledError:
                self.inbox.drop(entry)  # unfinished: handled again at the next start
                raise
            except Exception:
                log.exception(
                    "handling webhook delivery %s failed; trying again in %g s",
                    entry.delivery_id,
                    RETRY_AFTER,
                    extra={"component": "hook"},
                )
                self.inbox.retry_later(entry, RETRY_AFTER)
            finally:
                self._busy.discard(task)
                await self.pacer.release()

    async def _handle(self, entry: InboxEntry) -> None:
        if entry.replayed and not await self.inbox.claim(entry):
            self.inbox.drop(entry)  # another replica adopted it
            return
        parsed = entry.parsed or self._parse(entry, await self.inbox.load(entry))
        if parsed is not None:
            delivery, event, calls = parsed

            async def finished(call: str) -> None:
                with self._reported():
                    await self.inbox.progress(entry, call)

            await self._dispatcher.handle(
                delivery,
                event,
                done=entry.done,
                replayed_since=entry.received if entry.replayed else None,
                finished=finished,
                calls=calls,
            )
        with self._reported():
            await self.inbox.finish(entry)

    @staticmethod
    def _parse(entry: InboxEntry, body: bytes) -> tuple[Delivery, Event, None] | None:
        """A replayed (or evicted) delivery's payload, decoded again."""
        try:
            data = json.loads(body)
            event = parse_payload(entry.event_type, data)
        except (ValueError, MalformedEvent) as err:
            # Checked when it came in; a later minprow may read it otherwise.
            log.warning(
                "dropping webhook delivery %s: %s",
                entry.delivery_id,
                err,
                extra={"component": "hook"},
            )
            return None
        if event is None:
            return None
        return Delivery.of(entry.delivery_id, entry.event_type, data), event, None

    async def _maintain(self) -> None:
        while True:
            # A cadence, not a deadline: real time, so a test's virtual clock moves
            # only when the test moves it (the times compared come from the clock).
            await asyncio.sleep(self._maintain_every)
            with self._reported():
                adopted = await self.inbox.adopt()
                if adopted:
                    log.info(
                        "adopted %d webhook deliveries a stopped replica left unfinished",
                        adopted,
                        extra={"component": "hook"},
                    )
                await self.inbox.prune()

    @contextlib.contextmanager
    def _reported(self) -> Iterator[None]:
        """Log an inbox failure once per distinct message: the delivery is then
        handled again after a restart, which the replay guards make harmless."""
        try:
            yield
        except InboxError as err:
            if str(err) not in self._errors:
                if len(self._errors) > 100:
                    self._errors.clear()
                self._errors.add(str(err))
                log.warning("webhook inbox: %s", err, extra={"component": "hook"})
