"""B7: ``gaia-db import`` of a 50 MB chat export keeps its peak memory (RSS) under 200 MB.

The export is generated with the importer's synthetic generator into a temporary folder (never kept).
``gaia-db import`` runs as a subprocess on the real databases (users in PostgreSQL, conversations in
MongoDB); its peak RSS comes from the kernel when it is reaped (``os.wait4``: ``ru_maxrss`` of that child
alone), cross-checked by polling ``psutil`` every 20 ms. The counts it imports are checked too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from pymongo import AsyncMongoClient

from bench.context import Context, progress
from bench.report import Row, below, fmt_megabytes, fmt_seconds, row
from gaia_adapters.importers.synthetic import write_chatgpt_export


def _command() -> list[str]:
    script = Path(sys.executable).with_name("gaia-db")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gaia_adapters.cli"]


def _run_and_watch(argv: list[str], env: dict[str, str]) -> tuple[int, float, float, float, str]:
    """Exit code, peak RSS by the kernel (bytes), peak RSS polled (bytes), wall seconds, output tail."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(argv, env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        polled = 0.0
        try:
            watched = psutil.Process(process.pid)
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                with contextlib.suppress(psutil.Error):  # it may just have exited
                    polled = max(polled, float(watched.memory_info().rss))
                time.sleep(0.02)
        except BaseException:
            process.kill()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
        wall = time.perf_counter() - started
        output.seek(0)
        tail = output.read().decode(errors="replace")[-1500:]
    return process.returncode, usage.ru_maxrss * 1024.0, polled, wall, tail


async def run(ctx: Context) -> list[Row]:
    sizes = ctx.sizes
    folder = Path(tempfile.mkdtemp(prefix="gaia-bench-export-"))
    database = ctx.mongo_settings("b7").mongo_database
    try:
        export = write_chatgpt_export(folder / "conversations.json", target_bytes=sizes.b7_bytes)
        progress(
            f"B7: gaia-db import of a {export.bytes / 1e6:.1f} MB export ({export.conversations:,} conversations, "
            f"{export.visible_messages:,} messages) into PostgreSQL + MongoDB"
        )
        argv = [*_command(), "import", str(export.path), "--user", "bench-import@example.org", "--no-progress"]
        env = {
            **os.environ,
            "GAIA_POSTGRES_URL": ctx.postgres_url,
            "GAIA_MONGO_URL": ctx.mongo_url,
            "GAIA_MONGO_DATABASE": database,
        }
        code, kernel_peak, polled_peak, wall, tail = await asyncio.to_thread(_run_and_watch, argv, env)
        if code != 0:
            raise RuntimeError(f"gaia-db import exited with {code}:\n{tail}")
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(ctx.mongo_url)
        try:
            # The new user's welcome conversation (a handler of UserRegistered) is system-generated: not counted.
            stored = await client[database]["conversations"].count_documents({"is_system_generated": False})
            await client.drop_database(database)
        finally:
            await client.close()
        if stored != export.conversations:
            raise RuntimeError(f"gaia-db import stored {stored} conversations, the export has {export.conversations}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    limit = float(sizes.b7_limit_bytes)
    label = f"{export.bytes / 1e6:.3g} MB export"
    return [
        row("B7", "import: peak RSS (kernel)", (label, kernel_peak), ("limit", limit), fmt_megabytes, below(1.0)),
        row("B7", "import: peak RSS (polled)", (label, polled_peak), ("limit", limit), fmt_megabytes),
        row(
            "B7", "import: wall (A/B = msgs/s)", (label, wall), None, fmt_seconds, ratio=export.visible_messages / wall
        ),
    ]
