"""The kit every context uses: keyset pagination, idempotency keys, the audit log and the
history of changes to a record, password hashing, the request context, random ids, shared field
types and PATCH inputs, readiness, the department's calendar, and marking evaluations stale when
a fact they read changes. Owns no product rule."""
