"""Configs of the toy fixture plugin."""

from tfx_core.config import PretrainedConfig


class ToyConfig(PretrainedConfig):
    model_type = "tfx-toy"
    attribute_map = {"d_model": "hidden_size"}

    def __init__(self, vocab_size=32, hidden_size=8, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        super().__init__(**kwargs)

    def validate(self):
        super().validate()
        self.require_positive_int("vocab_size", "hidden_size")


class SharedConfig(PretrainedConfig):
    model_type = "tfx-shared"
