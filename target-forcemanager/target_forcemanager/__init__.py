"""target-forcemanager: a Singer target that applies publish rows to ForceManager."""
