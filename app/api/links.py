"""OpenAPI links from each create to the operations on what it created, derived from the routes.

A `POST /v1/x` that answers 201 with an `id` links to `GET`, `PUT`, `PATCH` and `DELETE
/v1/x/{x_id}`, filling the path parameter from the body. A resource that takes `If-Match` on
its PATCH is versioned: its create, read and update answer with an `ETag`, and the links to
the PATCH also fill `If-Match` from it, because without it the change is refused (428). The
read links to the update the same way (read → update). Clients and stateful test tools follow
these links; nothing here is written per route.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

ETAG_HEADER: dict[str, Any] = {
    "description": "The record's current version; send it back as `If-Match` to change it",
    "required": True, "schema": {"type": "string"}}
LOCATION_HEADER: dict[str, Any] = {
    "description": "Where the new record can be read: a path on this server",
    "required": True, "schema": {"type": "string", "format": "uri-reference"}}
_ITEM_METHODS = ("get", "put", "patch", "delete")


def location(request: Request, route: str, **params: object) -> str:
    """A `Location` for a created record: a path, never built from the request's `Host`
    (which the caller chooses, and which would otherwise be reflected to whoever follows it)."""
    return str(request.app.url_path_for(route, **params))


def add_links(document: dict[str, Any]) -> None:
    """Link every create to its item's operations, and document the headers the links use."""
    paths = document["paths"]
    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None or "id" not in _properties(document, created):
            continue
        for item, item_operations in paths.items():
            match = re.fullmatch(re.escape(collection) + r"/\{(\w+)\}", item)
            if match:
                _link_item(created, item_operations, parameter=match[1])


def _link_item(created: dict[str, Any], item: dict[str, Any], *, parameter: str) -> None:
    update = item.get("patch")
    versioned = update is not None and _takes_if_match(update)
    if "get" in item:
        created.setdefault("headers", {})["Location"] = LOCATION_HEADER
    if versioned:
        created.setdefault("headers", {})["ETag"] = ETAG_HEADER
        for method in ("get", "patch"):
            if method in item:
                item[method]["responses"]["200"].setdefault("headers", {})["ETag"] = ETAG_HEADER
    path = {f"path.{parameter}": "$response.body#/id"}
    for method in _ITEM_METHODS:
        target = item.get(method)
        if target is None:
            continue
        parameters = dict(path)
        if versioned and method == "patch":
            parameters["header.if-match"] = "$response.header.ETag"
        created.setdefault("links", {})[target["operationId"]] = {
            "operationId": target["operationId"], "parameters": parameters}
    if update is not None and versioned and "get" in item:
        item["get"]["responses"]["200"].setdefault("links", {})[update["operationId"]] = {
            "operationId": update["operationId"],
            "parameters": {**path, "header.if-match": "$response.header.ETag"}}


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(p["in"] == "header" and p["name"].lower() == "if-match"
               for p in operation.get("parameters", []))


def _properties(document: dict[str, Any], response: dict[str, Any]) -> set[str]:
    """The properties every JSON body of `response` has (each variant of a `oneOf`)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    variants = schema.get("oneOf", [schema])
    return set.intersection(*(set(_resolve(document, v).get("properties", {})) for v in variants))


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema
