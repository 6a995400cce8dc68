"""Text in, text out with a real byte-level BPE checkpoint folder (vocab.json + merges.txt)."""

import json
import threading

import pytest
import torch

from tfx_core import AutoModelForCausalLM, AutoTokenizer
from tfx_core.generation import TextIteratorStreamer

transformers = pytest.importorskip("transformers")

MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("Ġ", "a"), ("o", "p"), ("s", "t"), ("st", "op")]


def byte_alphabet() -> list[str]:
    """GPT-2's printable stand-in for each byte (bytes that are not printable move to 256+)."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    shifted = [b for b in range(256) if b not in printable]
    table = {b: chr(b) for b in printable}
    table.update({b: chr(256 + i) for i, b in enumerate(shifted)})
    return [table[b] for b in range(256)]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    tokens = [*byte_alphabet(), *("".join(pair) for pair in MERGES), "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    merges = "#version: 0.2\n" + "\n".join(" ".join(pair) for pair in MERGES) + "\n"
    (folder / "merges.txt").write_text(merges)
    eos = len(tokens) - 1
    config = transformers.GPT2Config(
        vocab_size=len(tokens),
        n_positions=128,
        n_embd=32,
        n_layer=2,
        n_head=4,
        bos_token_id=eos,
        eos_token_id=eos,
    )
    torch.manual_seed(0)
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def test_streaming_with_a_byte_level_tokenizer(checkpoint):
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint)
    prompt = tokenizer(["the top 100% café"], return_tensors="pt")
    ids = prompt["input_ids"]
    expected = model.generate(ids, max_new_tokens=40, eos_token_id=None)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, timeout=30)
    worker = threading.Thread(
        target=model.generate,
        kwargs=dict(input_ids=ids, max_new_tokens=40, eos_token_id=None, streamer=streamer),
    )
    worker.start()
    pieces = list(streamer)
    worker.join()
    assert "".join(pieces) == tokenizer.decode(expected[0, ids.shape[1] :].tolist())
    assert all("\ufffd" not in piece for piece in pieces[:-1])


def test_stop_strings_match_the_reference(checkpoint):
    ours = AutoModelForCausalLM.from_pretrained(checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    ref = transformers.GPT2LMHeadModel.from_pretrained(checkpoint)
    ref_tokenizer = transformers.GPT2TokenizerFast(
        vocab_file=str(checkpoint / "vocab.json"), merges_file=str(checkpoint / "merges.txt")
    )
    ids = torch.tensor([tokenizer("the stop")["input_ids"]])
    plain = ours.generate(ids, max_new_tokens=30, eos_token_id=None)
    text = tokenizer.decode(plain[0, ids.shape[1] :].tolist())
    stop = text[len(text) // 3 : len(text) // 3 + 2]  # two characters from the middle
    kwargs = dict(max_new_tokens=30, eos_token_id=None, pad_token_id=0, stop_strings=[stop])
    got = ours.generate(ids, tokenizer=tokenizer, **kwargs)
    expected = ref.generate(ids, tokenizer=ref_tokenizer, **kwargs)
    assert torch.equal(got, expected)
    assert got.shape[1] < plain.shape[1]
