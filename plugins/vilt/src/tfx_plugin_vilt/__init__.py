"""tfx-plugin-vilt: ViLT (one transformer over text tokens and image patches) for VQA."""
