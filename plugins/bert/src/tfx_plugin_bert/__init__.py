"""tfx-plugin-bert: BERT for tfx. Importing this package imports no framework."""

__version__ = "0.1.0"
