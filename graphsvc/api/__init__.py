"""The HTTP API (FastAPI), versioned under ``/v1``. ``create_app(settings)`` builds the application."""

from graphsvc.api.app import create_app

__all__ = ["create_app"]
