"""``wsgi:app`` whose text model is ready only once the file named by ``TEST_MODEL_GATE`` exists: lets a browser
test hold a real gunicorn worker in its "model still loading" state, then let it finish."""

from __future__ import annotations

import os
import time
from pathlib import Path

from irritants import create_app
from irritants.clustering import EmbeddingEncoder
from irritants.clusters import loading

GATE = Path(os.environ["TEST_MODEL_GATE"])
GATE_TIMEOUT_S = 60


def _load_once_the_gate_opens(threads: int) -> EmbeddingEncoder:
    deadline = time.monotonic() + GATE_TIMEOUT_S
    while not GATE.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{GATE} never appeared")
        time.sleep(0.05)
    return EmbeddingEncoder(threads=threads or None)


# Before create_app, which starts this worker's load.
loading.loader = loading.EncoderLoader(_load_once_the_gate_opens)
app = create_app()
