"""The decoder, seq2seq, vision and speech templates render packages whose own kit-driven tests pass before any
edit, including the checks of what the core blocks promise (fast path == modules, hooks and
class-level patches honoured on every decode step, fused weights following the Parameters) and,
for the vision template, the image pipelines from its saved model and image processor.

(The encoder template goes through the full author path, pip install included, in the
repository's tests/test_sdk_end_to_end.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfx_sdk.scaffold import new_plugin

pytestmark = pytest.mark.slow

SUITE = "tests/test_conformance.py::TestConformance::"


#: checks each template's package must pass (among all of its tests, which must pass too)
EXPECTED = {
    "gpt2": (
        "test_discovery",
        "test_greedy_generation[causal-lm-pt]",
        "test_pipeline[text-generation]",
        "test_generation_fast_paths[causal-lm-pt]",
        "test_generation_follows_weight_updates[causal-lm-pt]",
        "test_layer_hook_honoured[causal-lm-pt]",
        "test_layer_patch_honoured[sequence-classification-pt]",
    ),
    "bart": (
        "test_discovery",
        "test_forward[seq2seq-lm-pt]",
        "test_greedy_generation[seq2seq-lm-pt]",
        "test_greedy_generation[causal-lm-pt]",
        "test_pipeline[summarization]",
        "test_pipeline[text-classification]",
        "test_generation_fast_paths[seq2seq-lm-pt]",
        "test_generation_follows_weight_updates[seq2seq-lm-pt]",
        "test_layer_patch_honoured[sequence-classification-pt]",
    ),
    "wav2vec2": (
        "test_discovery",
        "test_forward[ctc-pt]",
        "test_forward[audio-classification-pt]",
        "test_head_from_base_checkpoint[ctc-pt]",
        "test_pipeline[audio-classification]",
        "test_fast_path_matches_modules[base-pt]",
        "test_layer_patch_honoured[ctc-pt]",
        "test_fused_weights_follow_training[base-pt]",
    ),
    "vit": (
        "test_discovery",
        "test_forward[image-classification-pt]",
        "test_forward[masked-image-modeling-pt]",
        "test_head_from_base_checkpoint[image-classification-pt]",
        "test_pipeline[image-classification]",
        "test_pipeline[image-feature-extraction]",
        "test_fast_path_matches_modules[base-pt]",
        "test_layer_patch_honoured[image-classification-pt]",
        "test_fused_weights_follow_training[base-pt]",
    ),
}


@pytest.mark.parametrize("like", sorted(EXPECTED))
def test_template_passes_its_generated_tests(like: str, tmp_path: Path, staging) -> None:
    stage_plugin, run_pytest = staging
    rendered = new_plugin(f"kit-{like}", like=like, dest=tmp_path / "rendered")
    folder, env = stage_plugin(rendered, tmp_path / "staged")
    result = run_pytest(folder, env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    for check in EXPECTED[like]:
        assert f"PASSED {SUITE}{check}" in result.stdout, check
