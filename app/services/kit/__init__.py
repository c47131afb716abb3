"""The kit every context uses: keyset pagination, idempotency keys, the audit log, password
hashing, the request context, random ids, shared field types, readiness, the department's
calendar, and marking evaluations stale when a fact they read changes. Owns no product rule."""
