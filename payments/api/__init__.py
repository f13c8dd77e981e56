"""The merchant REST API (``/api/v1/``): API-key authentication, problem details, idempotency."""
