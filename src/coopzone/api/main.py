"""ASGI entry point for uvicorn: ``coopzone.api.main:app``.

Each worker process computes with one Polars thread unless ``POLARS_MAX_THREADS`` says
otherwise: a request's frames are small, so a thread pool per worker costs more CPU in
handing work around than it saves (about 40 % of a page's time after a station push, on
two cores with two workers), and the workers already use the cores.

Once a worker has started (and warmed its caches, api/warm.py), everything it holds then —
the modules, the compiled templates and queries, the warmed caches, about 300,000 objects —
is moved out of the garbage collector's sight (``gc.freeze``): otherwise every full
collection walks all of them again, 200–400 ms of one core each time (on the 2-core bench,
a full collection came every 7–10 agreement pages and cost each of those requests 25–45 ms
on average; see bench/load.py). Frozen objects are still freed when nothing refers to them.
"""

import os

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # before Polars is first used

from coopzone.api.app import create_app  # after the setting above
from coopzone.api.warm import freeze_after_start

app = create_app()
freeze_after_start(app)
