"""The `loket` command line."""
