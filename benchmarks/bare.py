"""The yardstick: a minimal FastAPI app answering the hot read's route shape.

It returns, for each report, the body GPS itself answered (captured once per run), as a
route returning a dict, so FastAPI serialises it exactly as it serialises GPS's answer. No
database, no authentication: what is left is the framework and the server, run with the
same uvicorn settings as `gps serve`.

    BENCH_BARE_BODIES=bodies.json python -m benchmarks.bare --port 8101 --workers 1
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from fastapi import FastAPI, HTTPException


def create_app() -> FastAPI:
    with open(os.environ["BENCH_BARE_BODIES"], encoding="utf-8") as f:
        bodies: dict[str, Any] = json.load(f)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/v1/objectives")
    def list_objectives(person_id: int, quarter: str, limit: int = 50) -> dict[str, Any]:
        body = bodies.get(str(person_id))
        if body is None:
            raise HTTPException(status_code=404)
        return body

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # The settings `gps serve` passes to uvicorn (app/cli.py), nothing more or less.
    uvicorn.run("benchmarks.bare:create_app", factory=True, host="127.0.0.1", port=args.port,
                workers=args.workers, log_config=None, access_log=False, proxy_headers=True,
                server_header=False)


if __name__ == "__main__":
    main()
