"""GenerationConfig: HF file compatibility both ways, model-config defaults, validation."""

import json
import subprocess
import sys

import pytest

from tfx_core.config import PretrainedConfig
from tfx_core.errors import GenerationError
from tfx_core.generation import GenerationConfig
from tfx_core.generation.config import DEFAULTS

transformers = pytest.importorskip("transformers")


def fields(config) -> dict:
    return {key: getattr(config, key) for key in DEFAULTS}


def test_defaults_match_the_reference():
    ours, ref = GenerationConfig(), transformers.GenerationConfig()
    assert fields(ours) == {key: getattr(ref, key) for key in DEFAULTS}
    assert set(ours.to_diff_dict()) == {"tfx_version"}


def test_written_by_tfx_read_by_reference(tmp_path):
    ours = GenerationConfig(
        max_new_tokens=7,
        do_sample=True,
        top_k=5,
        top_p=0.9,
        eos_token_id=[3, 4],
        pad_token_id=0,
        custom_field="kept",
    )
    ours.save_pretrained(tmp_path)
    written = json.loads((tmp_path / "generation_config.json").read_text())
    assert "temperature" not in written  # defaults are not written
    ref = transformers.GenerationConfig.from_pretrained(tmp_path)
    assert {key: getattr(ref, key) for key in DEFAULTS} == fields(ours)
    assert ref.custom_field == "kept"


def test_written_by_reference_read_by_tfx(tmp_path):
    ref = transformers.GenerationConfig(
        num_beams=4,
        num_return_sequences=2,
        length_penalty=0.7,
        early_stopping="never",
        no_repeat_ngram_size=3,
        bad_words_ids=[[5]],
        bos_token_id=1,
        eos_token_id=2,
    )
    ref.save_pretrained(tmp_path)
    ours = GenerationConfig.from_pretrained(tmp_path)
    assert fields(ours) == {key: getattr(ref, key) for key in DEFAULTS}
    assert ours.transformers_version == transformers.__version__
    # and back: the file tfx writes loads into an equal reference config
    ours.save_pretrained(tmp_path / "again")
    again = transformers.GenerationConfig.from_pretrained(tmp_path / "again")
    assert {key: getattr(again, key) for key in DEFAULTS} == fields(ours)


def test_from_model_config_takes_generation_fields_only():
    kwargs = dict(bos_token_id=5, eos_token_id=[6, 7], pad_token_id=0, use_cache=False)
    ours = GenerationConfig.from_model_config(PretrainedConfig(**kwargs, hidden_size=16))
    ref = transformers.GenerationConfig.from_model_config(
        transformers.PretrainedConfig(**kwargs, hidden_size=16)
    )
    assert fields(ours) == {key: getattr(ref, key) for key in DEFAULTS}
    assert not hasattr(ours, "hidden_size")
    assert ours.to_diff_dict()["_from_model_config"] is True


def test_update_returns_unused_and_equality_ignores_metadata():
    config = GenerationConfig()
    assert config.update(max_new_tokens=3, not_a_field=1) == {"not_a_field": 1}
    assert config.max_new_tokens == 3
    other = GenerationConfig(max_new_tokens=3, transformers_version="4.0.0")
    assert config == other


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_beams": 0},
        {"early_stopping": "sometimes"},
        {"max_new_tokens": 0},
        {"num_beams": 2, "num_return_sequences": 3},
        {"num_return_sequences": 2},  # greedy returns one sequence
        {"repetition_penalty": 0.0},
        {"eos_token_id": "2"},
        {"cache_implementation": "paged"},
        {"streamer": object()},
    ],
)
def test_invalid_values_raise(kwargs):
    with pytest.raises(GenerationError):
        GenerationConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"do_sample": True, "temperature": 0.0},
        {"do_sample": True, "top_p": 0.0},
        {"do_sample": True, "top_p": 1.5},
        {"do_sample": True, "top_k": -1},
        {"do_sample": True, "min_p": 2.0},
        {"penalty_alpha": 0.6, "top_k": 4},  # valid but not implemented by tfx
        {"num_beam_groups": 2, "num_beams": 4},
    ],
)
def test_generation_time_checks(kwargs):
    config = GenerationConfig(**kwargs)
    with pytest.raises(GenerationError):
        config.validate_for_generation()


def test_strict_save_refuses_ignored_settings(tmp_path):
    config = GenerationConfig(temperature=0.5)  # without do_sample: ignored
    with pytest.raises(GenerationError, match="temperature"):
        config.save_pretrained(tmp_path)
    assert not (tmp_path / "generation_config.json").exists()


def test_malformed_file_is_a_typed_error(tmp_path):
    (tmp_path / "generation_config.json").write_text("{not json")
    with pytest.raises(GenerationError):
        GenerationConfig.from_pretrained(tmp_path)


def test_import_does_not_import_torch():
    code = (
        "import sys, tfx_core.generation as g; g.GenerationConfig(); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
