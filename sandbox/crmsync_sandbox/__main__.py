"""`python -m crmsync_sandbox` runs the `crmsync-sandbox` command."""

from crmsync_sandbox.cli import main

raise SystemExit(main())
