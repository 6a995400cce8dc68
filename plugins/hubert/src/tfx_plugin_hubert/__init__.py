"""tfx-plugin-hubert: HuBERT speech encoders for tfx."""
