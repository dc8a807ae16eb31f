"""Singer target that loads streams into a DuckDB warehouse file."""
