"""The HTTP API (an ASGI app, FastAPI under uvicorn): air-quality reads in the OpenAQ v3 / AirNow shape.

An edge package like ``dashboard`` and ``cli``: it imports ``data`` and ``monitoring`` and no other edge; every
query lives below it. Start it with ``envmon api``; the OpenAPI docs are at ``/docs`` and ``/openapi.json``.
"""
