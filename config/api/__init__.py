"""The HTTP API contract every app shares.

Errors and exceptions, the OpenAPI error schema, parsers, pagination, filters, throttles.
"""
