"""ASGI entry point for uvicorn: ``coopzone.api.main:app``."""

from coopzone.api.app import create_app

app = create_app()
