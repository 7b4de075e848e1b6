"""The HTTP edge: ingestion (`/v1`), GraphQL, health and metrics, on one Starlette app."""
