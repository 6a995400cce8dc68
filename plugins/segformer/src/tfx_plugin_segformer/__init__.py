"""tfx-plugin-segformer: SegFormer (a hierarchical Mix Transformer) for semantic segmentation."""
