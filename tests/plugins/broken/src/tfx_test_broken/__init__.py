"""Fixture plugin whose entry module is broken on purpose."""
