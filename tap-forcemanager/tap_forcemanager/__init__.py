"""tap-forcemanager: a Singer tap for the ForceManager REST API v4."""
