"""crmsync benchmarks: `python -m benchmarks [--quick] [--only NAME]` (docs/contracts.md 1)."""
