"""crmsync benchmarks: `python -m benchmarks [--quick] [--only NAME]` (issue 6, contracts.md 1)."""
