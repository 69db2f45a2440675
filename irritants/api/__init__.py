"""JSON API (``/api/v1``) over the domain services, documented with OpenAPI 3."""
