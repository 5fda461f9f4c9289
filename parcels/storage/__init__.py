"""Storage beside the core: SQLAlchemy 2 models, the engine, Alembic migrations and query functions."""
