"""Singer tap that reads the tables of a DuckDB warehouse schema."""
