"""Routes: calendar."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import API_PREFIX

router = APIRouter(prefix=API_PREFIX)
