"""The core's own plugin: the pipeline tasks and tokenizer converters tfx ships, and the
`encoder-decoder` architecture (`EncoderDecoderModel`, which composes other plugins' models).

It uses the same hooks as any third-party plugin, so tasks and converters added by plugins sit
beside these.
"""

from __future__ import annotations

from tfx_core.pipelines.tasks import builtin_tasks
from tfx_core.plugins.hookspecs import hookimpl
from tfx_core.plugins.specs import ArchitectureSpec, HeadSpec
from tfx_core.tokenization.converters.catalog import builtin_converter_specs


@hookimpl
def tfx_tasks() -> list:
    return builtin_tasks()


@hookimpl
def tfx_tokenizer_converters() -> list:
    return builtin_converter_specs()


@hookimpl
def tfx_architectures() -> list:
    return [
        ArchitectureSpec(
            model_type="encoder-decoder",
            config_class="tfx_core.encoder_decoder_config:EncoderDecoderConfig",
            heads=(
                HeadSpec(
                    "seq2seq-lm",
                    "EncoderDecoderModel",
                    {"pt": "tfx_core.modeling.torch.encoder_decoder:EncoderDecoderModel"},
                ),
            ),
            description="any encoder + any decoder with cross-attention (BERT2BERT, ...)",
        ),
        ArchitectureSpec(
            model_type="vision-encoder-decoder",
            config_class="tfx_core.vision_encoder_decoder_config:VisionEncoderDecoderConfig",
            heads=(
                HeadSpec(
                    "vision2seq",
                    "VisionEncoderDecoderModel",
                    {
                        "pt": "tfx_core.modeling.torch.vision_encoder_decoder:"
                        "VisionEncoderDecoderModel"
                    },
                ),
            ),
            description="an image encoder + a text decoder with cross-attention (ViT + GPT-2)",
        ),
    ]
