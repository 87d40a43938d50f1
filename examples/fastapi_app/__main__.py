"""``python -m examples.fastapi_app [--host H] [--port P]``: serve the example with uvicorn."""

from __future__ import annotations

import argparse
import importlib.util
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.fastapi_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if importlib.util.find_spec("uvicorn") is None:
        print("uvicorn is not installed: pip install uvicorn (or run the app with any ASGI server)", file=sys.stderr)
        return 1
    import uvicorn

    uvicorn.run("examples.fastapi_app.app:app", host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
