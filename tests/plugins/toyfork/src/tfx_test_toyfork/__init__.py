"""Fixture plugin that conflicts with tfx-test-toy on one model type."""
