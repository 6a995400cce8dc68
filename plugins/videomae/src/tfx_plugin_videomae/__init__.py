"""tfx-plugin-videomae: VideoMAE (a ViT over space-time tubelets) for video classification."""
