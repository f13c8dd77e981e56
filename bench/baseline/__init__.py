"""Baseline endpoints for ``make bench``: installed only by ``bench.settings``.

``GET /bench/constant``: a constant response through the full middleware stack, no database.
``POST /bench/minimal``: a DRF serializer that validates JSON and INSERTs one row.
"""
