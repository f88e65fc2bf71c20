"""The database: SQLModel tables and the queries the engine and CLI share."""
