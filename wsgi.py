"""``gunicorn -c gunicorn.conf.py wsgi:app`` in a checkout; the application is irritants.wsgi's (installed: that)."""

from irritants.wsgi import app

__all__ = ["app"]
