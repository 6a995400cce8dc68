"""tfx-plugin-speech-to-text against the tfx conformance kit.

The kit feeds it log-mel `input_features` (`modality="speech-features"`) with decoder ids, and
checks both heads against the reference, greedy and beam generation from the features (cache
on == off, encoder outputs reused), the config round trip, the tokenizer against the
reference's, and the automatic-speech-recognition pipeline from a saved model, tokenizer and
feature extractor. test_modeling_speech_to_text.py covers what is Speech2Text's own beyond that.
"""

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

_FILES = sibling_module(__file__, "test_tokenization_speech_to_text.py")

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


def _write_feature_extractor(folder):
    """Log-mel features of the tiny config's width (`input_feat_per_channel`)."""
    from tfx_plugin_speech_to_text.processing_speech_to_text import Speech2TextFeatureExtractor

    width = TINY["input_feat_per_channel"]
    Speech2TextFeatureExtractor(feature_size=width, num_mel_bins=width).save_pretrained(folder)


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="speech_to_text",
        config=TINY,
        reference=True,
        modality="speech-features",
        processor_files=_write_feature_extractor,
        tasks={"automatic-speech-recognition": "speech-seq2seq"},
        generative_heads=("speech-seq2seq",),
        tokenizer_files=_FILES.write_tokenizer,
        reference_tokenizer=True,
    )
