"""The store: SQLAlchemy engine and sessions, the core tables (runs, files, detections, events, assets), the
installation's hash key and the Alembic migrations.

Imports `scanner` types only; every other inventory package may import it.
"""
