"""The WSGI application of a gunicorn worker: ``gunicorn -c python:irritants.gunicorn_conf irritants.wsgi:app``."""

import gc

from irritants import create_app

app = create_app()
# The objects of the application's start (modules, pandas, scipy, SQLAlchemy's metadata: ≈ 200,000) live as long as
# the process: out of the collector's sight, a full collection no longer walks them — it cost ≈ 85 ms to a request
# that allocates much (a year's dashboard at 1,000,000 reports; docs/dashboard.md).
gc.freeze()
