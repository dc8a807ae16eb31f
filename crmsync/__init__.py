"""crmsync: two-way Salesforce <-> ForceManager sync built from Singer plugins, Meltano and dbt."""
