"""ASGI entry point for uvicorn: ``coopzone.api.main:app``.

Each worker process computes with one Polars thread unless ``POLARS_MAX_THREADS`` says
otherwise: a request's frames are small, so a thread pool per worker costs more CPU in
handing work around than it saves (about 40 % of a page's time after a station push, on
two cores with two workers), and the workers already use the cores.
"""

import os

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # before Polars is first used

from coopzone.api.app import create_app  # after the setting above

app = create_app()
