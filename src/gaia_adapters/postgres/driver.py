"""The part of asyncpg's connection the adapter uses (asyncpg ships no type information)."""

from __future__ import annotations

from typing import Any, Protocol

# The ``timeout`` parameters mirror asyncpg's own signatures.


class DriverConnection(Protocol):
    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str: ...  # noqa: ASYNC109

    async def fetch(self, query: str, *args: Any, timeout: float | None = None) -> list[Any]: ...  # noqa: ASYNC109

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None) -> Any: ...  # noqa: ASYNC109

    async def fetchval(self, query: str, *args: Any, column: int = 0, timeout: float | None = None) -> Any: ...  # noqa: ASYNC109

    def is_closed(self) -> bool: ...

    def is_in_transaction(self) -> bool: ...


def affected(status: str) -> int:
    """The row count of a command status such as ``UPDATE 1`` or ``DELETE 0``."""
    return int(status.rpartition(" ")[2])
