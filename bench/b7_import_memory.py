"""B7: ``gaia-db import`` of a 50 MB chat export keeps its peak memory (RSS) under 200 MB.

The export is generated with the importer's synthetic generator into a temporary folder (never kept).
``gaia-db import`` runs as a subprocess on the real databases (users in PostgreSQL, conversations in
MongoDB). Its peak RSS is the kernel's high-water mark of the child's memory (``VmHWM`` in
``/proc/PID/status``, read every 20 ms until it exits), cross-checked by sampling its RSS with psutil.
Not ``ru_maxrss`` (``wait4``/``RUSAGE_CHILDREN``): Linux starts a child's ``ru_maxrss`` at its parent's
RSS at fork time, so after B5 it reports the benchmark's own memory. The counts it imports are checked too.
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


def _high_water_mark(pid: int) -> float:
    """The process's peak RSS so far (bytes), from the kernel; 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) * 1024  # kB
    return 0.0  # a zombie: its memory is gone already


def _run_and_watch(argv: list[str], env: dict[str, str]) -> tuple[int, float, float, float, str]:
    """Exit code, peak RSS (kernel high-water mark, bytes), peak sampled RSS (bytes), wall seconds, output tail."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(argv, env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        peak = sampled = 0.0
        try:
            watched = psutil.Process(process.pid)
            while process.poll() is None:
                peak = max(peak, _high_water_mark(process.pid))
                with contextlib.suppress(psutil.Error):  # it may just have exited
                    sampled = max(sampled, float(watched.memory_info().rss))
                time.sleep(0.02)
        except BaseException:
            process.kill()
            process.wait()
            raise
        wall = time.perf_counter() - started
        output.seek(0)
        tail = output.read().decode(errors="replace")[-1500:]
    return process.returncode, peak, sampled, wall, tail


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
        code, peak, sampled, wall, tail = await asyncio.to_thread(_run_and_watch, argv, env)
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
        row("B7", "import: peak RSS (VmHWM)", (label, peak), ("limit", limit), fmt_megabytes, below(1.0)),
        row("B7", "import: peak RSS (sampled)", (label, sampled), ("limit", limit), fmt_megabytes),
        row(
            "B7", "import: wall (A/B = msgs/s)", (label, wall), None, fmt_seconds, ratio=export.visible_messages / wall
        ),
    ]
