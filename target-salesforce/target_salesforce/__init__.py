"""Singer target for Salesforce."""
