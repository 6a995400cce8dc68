"""tfx-plugin-glpn: GLPN (a Mix Transformer encoder with a light decoder) for depth estimation."""
