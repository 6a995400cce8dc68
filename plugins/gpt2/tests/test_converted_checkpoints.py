"""Checkpoints the seed lists as their own entries that load through GPT-2 and the Auto classes:
DialoGPT (a GPT-2 LM fine-tuned on dialogue turns joined by `<|endoftext|>`) and Megatron-GPT2
weights converted by the reference's script (pickled shards with an index, the causal-mask
buffers saved as weights, `n_inner`, a GELU variant, the tokenizer class in config.json)."""

import json
import warnings

import pytest
import torch
from safetensors.torch import save_file
from tfx_plugin_gpt2.modeling_gpt2 import GPT2LMHeadModel

from tfx_core import AutoModelForCausalLM, AutoTokenizer
from tfx_core.errors import UnsafeCheckpointError
from tfx_sdk.conformance import write_byte_level_bpe

transformers = pytest.importorskip("transformers")

EOS = 276  # `<|endoftext|>` in the kit's tiny byte-level vocabulary


def reference_model(**overrides):
    fields = dict(vocab_size=277, n_positions=64, n_embd=32, n_layer=2, n_head=4)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = transformers.GPT2Config(**fields, bos_token_id=EOS, eos_token_id=EOS, **overrides)
        return transformers.GPT2LMHeadModel(config).eval()


def test_dialogpt_turns_through_the_auto_classes(tmp_path):
    """DialoGPT's recipe: each turn + EOS, the history concatenated, replies generated after it."""
    reference = reference_model(
        n_ctx=64, task_specific_params={"conversational": {"max_length": 64}}
    )
    reference.save_pretrained(tmp_path, safe_serialization=True)
    write_byte_level_bpe(tmp_path, style="gpt2", legacy=True)
    model = AutoModelForCausalLM.from_pretrained(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert isinstance(model, GPT2LMHeadModel) and model.load_report.is_clean
    assert model.config.task_specific_params == {"conversational": {"max_length": 64}}
    history = []
    for turn in ("Hello, how are you?", "Fine, and you?"):
        ids = tokenizer.encode(turn + tokenizer.eos_token)
        assert ids == theirs.encode(turn + theirs.eos_token) and ids[-1] == EOS
        history += ids
        prompt = torch.tensor([history])
        kwargs = dict(max_new_tokens=6, pad_token_id=tokenizer.eos_token_id)
        got = model.generate(prompt, **kwargs)
        assert torch.equal(got, reference.generate(prompt, **kwargs))
        reply = got[0, prompt.shape[1] :].tolist()
        assert tokenizer.decode(reply, skip_special_tokens=True) == theirs.decode(
            reply, skip_special_tokens=True
        )
        history += reply


def _megatron_folder(folder, reference):
    """The layout `checkpoint_reshaping_and_interoperability.py` writes for a converted model."""
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    positions = reference.config.n_positions
    for layer in range(reference.config.n_layer):
        name = f"transformer.h.{layer}.attn"
        state[f"{name}.bias"] = torch.tril(torch.ones(positions, positions)).view(
            1, 1, positions, positions
        )
        state[f"{name}.masked_bias"] = torch.tensor(-1e4)
    keys = sorted(state)
    shards = {"pytorch_model-00001-of-00002.bin": keys[: len(keys) // 2]}
    shards["pytorch_model-00002-of-00002.bin"] = keys[len(keys) // 2 :]
    weight_map = {}
    for file, names in shards.items():
        torch.save({name: state[name] for name in names}, folder / file)
        weight_map.update(dict.fromkeys(names, file))
    index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
    (folder / "pytorch_model.bin.index.json").write_text(json.dumps(index))
    reference.config.tokenizer_class = "GPT2TokenizerFast"
    reference.config.save_pretrained(folder)
    write_byte_level_bpe(folder, style="gpt2", legacy=True, tokenizer_class="GPT2TokenizerFast")


def test_megatron_gpt2_converted_weights(tmp_path):
    reference = reference_model(n_inner=48, activation_function="gelu_fast")
    _megatron_folder(tmp_path, reference)
    with pytest.raises(UnsafeCheckpointError):
        AutoModelForCausalLM.from_pretrained(tmp_path)  # pickles load only when asked
    model = AutoModelForCausalLM.from_pretrained(tmp_path, allow_pickle=True)
    report = model.load_report
    assert isinstance(model, GPT2LMHeadModel) and not report.missing and not report.unexpected
    assert len(report.ignored_unexpected) == 4  # the attention mask buffers are not weights
    theirs = transformers.GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    ids = torch.randint(0, EOS, (2, 9), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, :4] = 0
    with torch.no_grad():
        got, want = model(ids, attention_mask=mask).logits, theirs(ids, attention_mask=mask).logits
    assert (got[mask.bool()] - want[mask.bool()]).abs().max() <= 1e-5
    for options in ({}, {"num_beams": 3}):
        kwargs = dict(attention_mask=mask, max_new_tokens=6, pad_token_id=EOS, **options)
        assert torch.equal(model.generate(ids, **kwargs), theirs.generate(ids, **kwargs))
    text = "Megatron says hello"
    assert (
        AutoTokenizer.from_pretrained(tmp_path)(text)["input_ids"]
        == (transformers.AutoTokenizer.from_pretrained(tmp_path)(text)["input_ids"])
    )
    model.save_pretrained(tmp_path / "resaved")  # back as safetensors, buffers dropped
    assert not list((tmp_path / "resaved").glob("*.bin"))
    again = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "resaved").eval()
    with torch.no_grad():
        assert (again(ids).logits - theirs(ids).logits).abs().max() <= 1e-5


def test_megatron_single_file_safetensors_with_buffers(tmp_path):
    """Some converted checkpoints were re-saved as one safetensors file, buffers included."""
    reference = reference_model(n_inner=40)
    state = {k: v.contiguous() for k, v in reference.state_dict().items() if k != "lm_head.weight"}
    state["transformer.h.0.attn.masked_bias"] = torch.tensor(-1e4)
    save_file(state, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    reference.config.save_pretrained(tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert model.load_report.ignored_unexpected == ["transformer.h.0.attn.masked_bias"]
    ids = torch.randint(0, EOS, (1, 7))
    with torch.no_grad():
        assert (model(ids).logits - reference(ids).logits).abs().max() <= 1e-5
