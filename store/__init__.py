"""The case store: SQLModel tables, migrations and the database engine. Imports nothing of ours."""
