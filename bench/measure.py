"""How a side of a pair is measured: client CPU, wall time and wire bytes per operation.

* CPU: ``resource.getrusage(RUSAGE_SELF)`` user + system around a batch of operations. The database
  servers run as other processes, so only the client's own work is counted.
* Wall: ``time.perf_counter`` around the same batch.
* Bytes: PyMongo command monitoring. The listener encodes each command and reply (``bson.encode``) as it
  comes, inside :func:`untimed`, so measuring bytes costs no measured CPU and keeps nothing alive.

A pair runs its two sides alternately (A B, B A, A B, ...) after one warm-up batch each, so machine noise
hits both sides alike; the figures are medians over the repetitions of per-operation averages.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import io
import pstats
import resource
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, Literal, Protocol

import bson
from bson.binary import UuidRepresentation
from pymongo import monitoring

# The codec the framework's clients use (standard UUIDs, aware UTC dates): needed to re-encode commands.
CODEC: bson.CodecOptions[dict[str, Any]] = bson.CodecOptions(
    tz_aware=True, tzinfo=UTC, uuid_representation=UuidRepresentation.STANDARD
)


class ByteCounter(monitoring.CommandListener):
    """Sums the encoded size of every command sent and every reply received while it is recording.

    Each event is encoded at once, inside :func:`untimed`, and then dropped: measuring bytes costs no
    measured CPU, and keeps nothing alive. (Keeping the events to encode them after the batch held every
    inserted document until then: in B5 100,000 messages that the garbage collector walked again and again,
    in whichever side's measured time its collections fell, which a real import does not pay.)
    """

    def __init__(self) -> None:
        self.recording = False
        self._sent = 0
        self._received = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording:
            with untimed():
                self._sent += len(bson.encode(event.command, codec_options=CODEC))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if self.recording:
            with untimed():
                self._received += len(bson.encode(event.reply, codec_options=CODEC))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def start(self) -> None:
        self._sent = self._received = 0
        self.recording = True

    def stop(self) -> tuple[int, int]:
        """Stop recording; the bytes (sent, received) since :meth:`start`."""
        self.recording = False
        return self._sent, self._received


# One listener for every client of the run (registered before any client is created, see __main__).
BYTES = ByteCounter()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


Metric = Literal["cpu", "wall", "sent", "received"]


@dataclass(frozen=True)
class Sample:
    """One batch, per operation."""

    cpu: float
    wall: float
    sent: float
    received: float


@dataclass
class _Excluded:
    cpu: float = 0.0
    wall: float = 0.0
    depth: int = 0  # an untimed section inside another (a command sent while input is prepared) counts once


_EXCLUDED = _Excluded()


@contextlib.contextmanager
def untimed() -> Iterator[None]:
    """Work inside a batch that is not the operation being measured (preparing its input just in time)."""
    if _EXCLUDED.depth:
        yield
        return
    _EXCLUDED.depth += 1
    cpu, wall = cpu_seconds(), time.perf_counter()
    try:
        yield
    finally:
        _EXCLUDED.cpu += cpu_seconds() - cpu
        _EXCLUDED.wall += time.perf_counter() - wall
        _EXCLUDED.depth -= 1


async def measure(batch: Callable[[], Awaitable[None]], ops: int) -> Sample:
    # Garbage left by setup or by the other side is not this batch's cost (young generations: a full
    # collection of the whole process would take longer than many batches), and the collector should not
    # walk the benchmark's prepared data (in a real import it streams by): it only tracks what the batch makes.
    gc.collect(1)
    gc.freeze()
    _EXCLUDED.cpu = _EXCLUDED.wall = 0.0
    BYTES.start()
    cpu, wall = cpu_seconds(), time.perf_counter()
    try:
        await batch()
    finally:
        wall, cpu = time.perf_counter() - wall - _EXCLUDED.wall, cpu_seconds() - cpu - _EXCLUDED.cpu
        sent, received = BYTES.stop()
        gc.unfreeze()
    return Sample(cpu / ops, wall / ops, sent / ops, received / ops)


@dataclass
class Side:
    """One side of a pair: ``batch`` performs ``ops`` operations (and prepares nothing it does not measure)."""

    name: str
    batch: Callable[[], Awaitable[None]]
    ops: int
    setup: Callable[[], Awaitable[None]] | None = None  # runs before every batch, unmeasured
    samples: list[Sample] = field(default_factory=list)
    warmup: Sample = field(default_factory=lambda: Sample(0.0, 0.0, 0.0, 0.0))

    def median(self, metric: Metric) -> float:
        values: list[float] = [getattr(sample, metric) for sample in self.samples]
        return statistics.median(values)


class Holder(Protocol):
    async def hold(self, seconds: float) -> None: ...


def matched_wait(side: Side, holder: Holder, *, slow: Side, fast: Side) -> Side:
    """``side`` (the fast operation on a delaying client) made to wait as long per operation as ``slow``.

    Before each of its batches the server's hold is set to the difference between the latest wall times
    of ``slow`` and ``fast`` per operation, so it follows the server's speed as the run goes on.
    """
    setup = side.setup

    async def hold_then_setup() -> None:
        slow_wall = slow.samples[-1].wall if slow.samples else slow.warmup.wall
        fast_wall = fast.samples[-1].wall if fast.samples else fast.warmup.wall
        await holder.hold(max(0.0, slow_wall - fast_wall))
        if setup is not None:
            await setup()

    side.setup = hold_then_setup
    return side


async def warm(side: Side) -> Sample:
    """One batch that is not kept as a sample: it warms caches and connections (kept as ``side.warmup``)."""
    side.warmup = await _batch(side)
    return side.warmup


async def run_alternating(sides: Sequence[Side], repetitions: int, *, warmup: bool = True) -> None:
    """Warm each side once (unless done already), then run them in turn, rotating which goes first.

    With ``--profile`` one more batch of each side runs under pyinstrument afterwards (not measured).
    """
    if warmup:
        for side in sides:
            await warm(side)
    for repetition in range(repetitions):
        shift = repetition % len(sides)
        for side in [*sides[shift:], *sides[:shift]]:
            side.samples.append(await _batch(side))
    if PROFILING.folder is not None:
        for side in sides:
            await _profiled(side, PROFILING.folder)


@dataclass
class Profiling:
    folder: Path | None = None  # where ``--profile`` writes one pyinstrument report per side
    pair: str = ""


PROFILING = Profiling()


async def _profiled(side: Side, folder: Path) -> None:
    """Two reports per side: pyinstrument (wall clock, the call tree) and cProfile on process CPU time."""
    from pyinstrument import Profiler  # the dev extra; only needed with --profile

    name = "".join(c if c.isalnum() else "-" for c in f"{PROFILING.pair}-{side.name}").strip("-")
    if side.setup is not None:
        await side.setup()
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    try:
        await side.batch()
    finally:
        profiler.stop()
    await asyncio.to_thread(_write, folder / f"{name}.pyinstrument.txt", profiler.output_text(color=False))
    if side.setup is not None:
        await side.setup()
    cpu_profile = cProfile.Profile(time.process_time)
    cpu_profile.enable()
    try:
        await side.batch()
    finally:
        cpu_profile.disable()
    report = io.StringIO()
    pstats.Stats(cpu_profile, stream=report).sort_stats("cumulative").print_stats(60)
    await asyncio.to_thread(_write, folder / f"{name}.cpu.txt", report.getvalue())


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


async def _batch(side: Side) -> Sample:
    if side.setup is not None:
        await side.setup()
    return await measure(side.batch, side.ops)
