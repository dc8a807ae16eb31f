"""Local Salesforce and ForceManager API servers for tests, demos and benchmarks."""
