"""The audit log is append-only: no code path changes it, and PostgreSQL refuses to."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

APP = Path(__file__).resolve().parents[2] / "app"


def test_no_application_code_updates_or_deletes_audit_entries():
    offenders = []
    for path in APP.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("update", "delete") and node.args \
                    and isinstance(node.args[0], ast.Name) and node.args[0].id == "AuditEntry":
                offenders.append(f"{path.name}:{node.lineno}")
        source = path.read_text()
        if "AuditEntry" in source and ("session.delete(entry" in source
                                       or ".delete(audit" in source):
            offenders.append(path.name)
    assert offenders == []


@pytest.mark.postgres_only
def test_postgresql_refuses_to_change_or_remove_audit_entries(engine, db):
    from app.db.models import AuditEntry

    entry = AuditEntry(actor="person:1", action="case.read", target_type="case", target_id="1",
                       outcome="ok")
    db.add(entry)
    db.commit()
    for statement in ("UPDATE audit_entry SET outcome = 'refused'",
                      "DELETE FROM audit_entry", "TRUNCATE audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT outcome FROM audit_entry")).scalar_one() == "ok"
