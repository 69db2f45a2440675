"""gunicorn settings of the test servers whose workers are recycled between tests (``Gunicorn(preload=True)``):
the project's own (gunicorn.conf.py), and a worker told to stop leaves once its requests are answered, skipping the
seconds that tearing down an interpreter with the whole app imported takes. Passwords are hashed and checked at
argon2's test parameters, as in the test process that creates the agents (tests/fast_passwords.py). The master
compiles every template once it has loaded the app: each fresh worker inherits them instead of compiling the pages
its test opens again."""

import os
import runpy
from pathlib import Path
from typing import Any

from tests.fast_passwords import use_cheapest_hashing

_project = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
globals().update({name: value for name, value in _project.items() if not name.startswith("_")})


use_cheapest_hashing()


def when_ready(server: Any) -> None:
    environment = server.app.wsgi().jinja_env  # the app the master preloaded
    for name in environment.list_templates():
        environment.get_template(name)


def worker_exit(server: object, worker: object) -> None:
    if getattr(worker, "booted", False):  # a worker that failed to boot keeps its exit code for the master
        os._exit(0)
