"""Fixture plugin used by tfx's tests: discovery, Auto classes and conflicts."""
