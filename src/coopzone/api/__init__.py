"""HTTP edge: the FastAPI app factory, dependencies and error handlers."""
