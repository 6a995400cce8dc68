"""tfx-plugin-wav2vec2: Wav2Vec2 speech encoders for tfx."""
