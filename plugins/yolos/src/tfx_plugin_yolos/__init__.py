"""tfx-plugin-yolos: YOLOS (a ViT with detection tokens) for object detection."""
