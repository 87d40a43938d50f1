"""``python -m bench``: every benchmark pair on real PostgreSQL and a SecantusDB started for the run.

Prints one table (stdout): for each pair the medians of both sides, their ratio, the goal and PASS/FAIL.
Progress goes to stderr. Exit status 0 when every goal is met, 1 when some goal failed, 2 on an error.
The database and the server are removed at the end, also after Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import platform
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType

from pymongo import monitoring

from bench import (
    b1_append,
    b2_last_messages,
    b3_list_pages,
    b4_unit_of_work,
    b5_bulk_import,
    b6_drivers,
    b7_import_memory,
)
from bench.context import FULL, QUICK, Context, progress
from bench.measure import BYTES, PROFILING
from bench.report import Row, render
from bench.servers import DEFAULT_POSTGRES_URL, postgres_database, secantus_server

Benchmark = Callable[[Context], Awaitable[list[Row]]]

BENCHMARKS: dict[str, Benchmark] = {
    "B1": b1_append.run,
    "B2": b2_last_messages.run,
    "B3": b3_list_pages.run,
    "B4": b4_unit_of_work.run,
    "B5": b5_bulk_import.run,
    "B6": b6_drivers.run,
    "B7": b7_import_memory.run,
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness, not the goals")
    parser.add_argument("--only", default="", help="comma-separated pairs to run, e.g. B1,B4 (default: all)")
    parser.add_argument("--repetitions", type=int, default=None, help="measured repetitions per side (default 5)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server to create the database on")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FOLDER",
        help="after measuring, profile one more batch of each side (pyinstrument, cProfile on CPU time) into FOLDER",
    )
    return parser.parse_args(argv)


def _interrupt_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the cleanup below runs too."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


async def _run_all(ctx: Context, selected: list[str]) -> list[Row]:
    rows: list[Row] = []
    for name in selected:
        PROFILING.pair = name
        started = time.perf_counter()
        found = await BENCHMARKS[name](ctx)
        progress(render(found))
        progress(f"{name}: {time.perf_counter() - started:.1f} s\n")
        rows += found
    return rows


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    selected = [name.strip().upper() for name in args.only.split(",") if name.strip()] or list(BENCHMARKS)
    unknown = [name for name in selected if name not in BENCHMARKS]
    if unknown:
        print(f"unknown pair(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else FULL
    if args.repetitions is not None:
        sizes = dataclasses.replace(sizes, repetitions=args.repetitions, b5_repetitions=args.repetitions)
    PROFILING.folder = args.profile
    _interrupt_on_sigterm()
    monitoring.register(BYTES)  # before any client exists: every client of the run reports its commands
    started = time.perf_counter()
    with contextlib.ExitStack() as cleanup:
        progress("starting SecantusDB and creating the PostgreSQL database ...")
        mongo = cleanup.enter_context(secantus_server())
        postgres = cleanup.enter_context(postgres_database(args.postgres_url))
        progress(f"SecantusDB {mongo.version} at {mongo.url}, PostgreSQL {postgres.version}\n")
        ctx = Context(mongo_url=mongo.url, postgres_url=postgres.url, sizes=sizes, run_id=uuid.uuid4().hex[:8])
        rows = asyncio.run(_run_all(ctx, selected))
    print(f"gaia-domain benchmarks ({'quick' if args.quick else 'full'} sizes, {sizes.repetitions} repetitions)")
    print(f"Python {platform.python_version()}, PostgreSQL {postgres.version}, SecantusDB {mongo.version}")
    print(render(rows))
    failed = [r for r in rows if r.verdict == "FAIL"]
    print(f"\n{len(rows)} figures, {len(failed)} failed, {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: servers stopped, benchmark database dropped", file=sys.stderr)
        sys.exit(130)
