"""Raises on import, as a plugin with a missing dependency would."""

raise ImportError("tfx-test-broken needs the package 'not-a-real-dependency'")
