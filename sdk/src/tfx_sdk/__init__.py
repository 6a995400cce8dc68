"""tfx-sdk: build an architecture plugin for tfx and prove it right.

- `tfx-sdk new NAME [--like encoder|decoder|seq2seq|vision|speech]` (aliases `bert`, `gpt2`,
  `bart`, `vit`, `wav2vec2`) renders `templates/` into a package that installs, is discovered
  by `tfx plugins`, and passes the conformance kit before its author writes a line.
- `tfx_sdk.conformance` is the kit: a pytest plugin whose `ConformanceSuite`, driven by a small
  `PluginTester`, checks discovery, round trips, shapes, loading and parity per head and framework.
- `tfx-sdk check PATH` runs a plugin's tests and prints a heads x frameworks coverage table.

Importing this package imports no framework.
"""

__version__ = "0.1.0"
