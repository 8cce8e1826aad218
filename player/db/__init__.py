"""The library and listening-history database (SQLAlchemy 2.0 models, engine, migrations)."""
