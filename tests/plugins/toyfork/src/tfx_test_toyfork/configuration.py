"""Config of the conflicting fixture plugin."""

from tfx_core.config import PretrainedConfig


class ForkConfig(PretrainedConfig):
    model_type = "tfx-shared"
