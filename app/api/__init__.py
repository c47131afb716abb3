"""The HTTP edge: routers, schemas, dependencies and error handlers."""
