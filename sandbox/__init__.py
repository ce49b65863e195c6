"""Test doubles and demo worlds: never imported by the service itself."""
