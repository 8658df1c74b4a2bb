"""The dashboard over the store (FastAPI + uvicorn, the ``server`` extra, imported lazily)."""

from riskscope.server._launch import create_app, serve
from riskscope.server._security import check_bind, host_is_loopback

__all__ = ["check_bind", "create_app", "host_is_loopback", "serve"]
