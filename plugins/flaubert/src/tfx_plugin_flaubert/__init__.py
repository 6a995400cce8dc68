"""tfx-plugin-flaubert: FlauBERT for tfx (see `modeling_flaubert` and `tokenization_flaubert`).

Importing this package imports no framework: `plugin` only declares specs.
"""

__version__ = "0.1.0"
