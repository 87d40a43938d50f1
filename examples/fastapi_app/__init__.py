"""A small FastAPI application embedding gaia-domain's container: see README.md beside this file."""

from examples.fastapi_app.app import create_app

__all__ = ["create_app"]
