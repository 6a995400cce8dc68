"""tfx-plugin-xlm: XLM for tfx (see `modeling_xlm` and `tokenization_xlm`).

Importing this package imports no framework: `plugin` only declares specs.
"""

__version__ = "0.1.0"
