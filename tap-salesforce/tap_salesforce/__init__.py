"""Singer tap for Salesforce."""
