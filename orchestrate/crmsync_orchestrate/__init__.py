"""crmsync on Dagster: one code location for many tenants (`.definitions`)."""
