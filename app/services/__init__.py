"""Use cases: load, check policy, apply domain rules. Services never commit; the request does."""
