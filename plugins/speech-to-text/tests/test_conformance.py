"""tfx-plugin-speech-to-text against the tfx conformance kit.

The kit drives heads with token ids (`input_ids`); Speech2Text takes log-mel `input_features`,
so its per-head checks (forward, save/load, saved keys, parity, generation) are run by
test_modeling_speech_to_text.py with speech inputs instead, and `heads=()` here keeps the kit
to what does not feed the model: discovery, the config class and round trip against the
reference's config, and the tokenizer round trip against the reference's tokenizer.
"""

import importlib.util
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester

_SPEC = importlib.util.spec_from_file_location(
    "speech_to_text_tokenizer_files",
    Path(__file__).with_name("test_tokenization_speech_to_text.py"),
)
_FILES = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_FILES)

TINY = {
    "vocab_size": 301,  # the tokenizer tests' vocabulary
    "d_model": 16,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 32,
    "decoder_ffn_dim": 32,
    "conv_channels": 12,
    "input_feat_per_channel": 8,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="speech_to_text",
        config=TINY,
        heads=(),
        reference=True,
        tokenizer_files=_FILES.write_tokenizer,
        reference_tokenizer=True,
    )
