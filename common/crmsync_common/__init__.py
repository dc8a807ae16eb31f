"""What every crmsync plugin shares."""
