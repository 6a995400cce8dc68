"""Model base classes per framework (`modeling.torch`, ...) and framework-neutral outputs.

Importing this package imports no framework; `tfx_core.modeling.torch` imports torch.
"""
