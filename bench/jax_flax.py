"""JAX/Flax vs the reference PyTorch models in one run, same weights, printing ratios.

(a) jitted greedy generation, gpt2-small shape, prompt 16, 16 new tokens, batch 1 and 8:
    tokens/s after warm-up (target: >= 1.5x the reference), and the one-off compile time
(b) a tiny GPT-2 config, batch 1, 32 new tokens: ms per generated token (target: <= 0.33x the reference)
(c) bert-base shape forward, batch 8 x 128 (jitted Flax vs reference eager PyTorch)
(c2) a tiny causal BERT (`BertLMHeadModel`, is_decoder), batch 1, 32 new tokens: ms/token with
    the KV cache, without it (each step recomputes the buffer) and the reference's
(d) seq2seq generation (encoder once, cross K/V once, jitted loop): a tiny BART greedy, batch 8
    (ms/token ratio), t5-small shape greedy batch 8 and bart-base shape beam-4 batch 2 (tokens/s)

Timings alternate between the two libraries round by round, so background load on a shared
machine hits both alike; each figure is the median of its rounds. Greedy ids are checked
equal. Usage: `python bench/jax_flax.py [--quick]`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

GPT2_SMALL = dict(vocab_size=50257, n_embd=768, n_layer=12, n_head=12, n_positions=1024)
GPT2_TINY = dict(vocab_size=1000, n_embd=32, n_layer=2, n_head=2, n_positions=128)
BERT_BASE = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    num_labels=2,
)


def _medians(*calls, rounds: int) -> list[float]:
    """Median seconds of each call, the calls alternating round by round."""
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(rounds):
        for call, found in zip(calls, times, strict=True):
            start = time.perf_counter()
            call()
            found.append(time.perf_counter() - start)
    return [statistics.median(found) for found in times]


def _median_pair(first, second, rounds: int) -> tuple[float, float]:
    a, b = _medians(first, second, rounds=rounds)
    return a, b


def _gpt2_pair(folder: Path, shape: dict):
    import transformers
    from tfx_plugin_gpt2.modeling_flax_gpt2 import FlaxGPT2LMHeadModel

    torch.manual_seed(0)
    transformers.GPT2LMHeadModel(transformers.GPT2Config(**shape)).save_pretrained(folder)
    reference = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    return reference, FlaxGPT2LMHeadModel.from_pretrained(folder)


def bench_generation(shape: dict, batches: tuple[int, ...], new: int, rounds: int, label: str):
    import jax

    with tempfile.TemporaryDirectory() as tmp:
        reference, model = _gpt2_pair(Path(tmp), shape)
        for batch in batches:
            prompt = np.random.RandomState(batch).randint(0, shape["vocab_size"], (batch, 16))
            options = dict(max_new_tokens=new, min_new_tokens=new, do_sample=False)

            def ours(prompt=prompt, options=options):
                return jax.block_until_ready(model.generate(prompt, **options, pad_token_id=0))

            def theirs(prompt=prompt, options=options):
                with torch.inference_mode():
                    return reference.generate(torch.tensor(prompt), **options, pad_token_id=0)

            start = time.perf_counter()
            got = np.asarray(ours())
            compile_s = time.perf_counter() - start
            expected = theirs().numpy()
            same = "ids equal" if np.array_equal(got, expected) else "IDS DIFFER"
            flax_s, torch_s = _median_pair(ours, theirs, rounds)
            tokens = batch * new
            print(
                f"{label} b{batch}: flax {tokens / flax_s:8.1f} tok/s ({1e3 * flax_s / new:6.2f} "
                f"ms/token), reference {tokens / torch_s:8.1f} tok/s ({1e3 * torch_s / new:6.2f} "
                f"ms/token); speed x{torch_s / flax_s:.2f}, ms/token ratio {flax_s / torch_s:.2f}; "
                f"first call (compile) {compile_s:.2f} s; {same}"
            )


def bench_bert(rounds: int) -> None:
    import jax
    import transformers
    from flax import nnx
    from tfx_plugin_bert.modeling_flax_bert import FlaxBertForSequenceClassification

    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        transformers.BertForSequenceClassification(
            transformers.BertConfig(**BERT_BASE)
        ).save_pretrained(tmp)
        reference = transformers.BertForSequenceClassification.from_pretrained(tmp).eval()
        model = FlaxBertForSequenceClassification.from_pretrained(tmp)
    ids = np.random.RandomState(0).randint(0, 30522, (8, 128))
    mask = np.ones_like(ids)
    forward = nnx.jit(lambda m, i, a: m(input_ids=i, attention_mask=a).logits)

    def ours():
        return jax.block_until_ready(forward(model, ids, mask))

    def theirs():
        with torch.inference_mode():
            return reference(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits

    start = time.perf_counter()
    got = np.asarray(ours())
    compile_s = time.perf_counter() - start
    diff = float(np.abs(got - theirs().numpy()).max())
    flax_s, torch_s = _median_pair(ours, theirs, rounds)
    print(
        f"bert-base 8x128 forward: flax {1e3 * flax_s:.1f} ms, reference {1e3 * torch_s:.1f} ms, "
        f"time ratio {flax_s / torch_s:.2f}; compile {compile_s:.2f} s; max |diff| {diff:.1e}"
    )


BERT_TINY = dict(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
    is_decoder=True,
)


def bench_bert_lm(rounds: int, new: int = 32) -> None:
    """Tiny causal BERT greedy generation: cached vs recomputing Flax vs the reference."""
    import jax
    import transformers
    from tfx_plugin_bert.modeling_flax_bert import FlaxBertLMHeadModel

    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        transformers.BertLMHeadModel(transformers.BertConfig(**BERT_TINY)).save_pretrained(tmp)
        reference = transformers.BertLMHeadModel.from_pretrained(tmp).eval()
        model = FlaxBertLMHeadModel.from_pretrained(tmp)
    prompt = np.random.RandomState(0).randint(3, BERT_TINY["vocab_size"], (1, 16))
    options = dict(max_new_tokens=new, min_new_tokens=new, do_sample=False, pad_token_id=0)

    def flax(use_cache: bool):
        return lambda: jax.block_until_ready(model.generate(prompt, use_cache=use_cache, **options))

    def theirs():
        with torch.inference_mode():
            return reference.generate(torch.tensor(prompt), **options)

    expected = theirs().numpy()
    compile_s = []
    for use_cache in (True, False):
        start = time.perf_counter()
        got = np.asarray(flax(use_cache)())
        compile_s.append(time.perf_counter() - start)
        if not np.array_equal(got, expected):
            print("bert-lm-tiny: IDS DIFFER")
    with_cache, without, torch_s = _medians(flax(True), flax(False), theirs, rounds=rounds)
    print(
        f"bert-lm-tiny b1: flax cached {1e3 * with_cache / new:6.2f} ms/token, uncached "
        f"{1e3 * without / new:6.2f} ms/token (cached/uncached {with_cache / without:.2f}), "
        f"reference {1e3 * torch_s / new:6.2f} ms/token (ms/token ratio "
        f"{with_cache / torch_s:.2f}); compile {compile_s[0]:.2f} s / {compile_s[1]:.2f} s"
    )


BART_TINY = dict(
    vocab_size=1000,
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=64,
    decoder_ffn_dim=64,
    max_position_embeddings=128,
)
BART_BASE = dict(vocab_size=50265, max_position_embeddings=1024)  # the other fields: bart-base's
BART_BASE.update(d_model=768, encoder_layers=6, decoder_layers=6, encoder_ffn_dim=3072)
BART_BASE.update(decoder_ffn_dim=3072, encoder_attention_heads=12, decoder_attention_heads=12)
T5_SMALL = dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8)


def bench_seq2seq(name: str, shape: dict, batch: int, new: int, beams: int, rounds: int) -> None:
    """Flax `generate` vs the reference's on the same checkpoint, source of 32 tokens."""
    import jax
    import transformers

    from tfx_core import FlaxAutoModelForSeq2SeqLM

    config_class, model_class = {
        "bart": ("BartConfig", "BartForConditionalGeneration"),
        "t5": ("T5Config", "T5ForConditionalGeneration"),
    }[name.split("-")[0]]
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        config = getattr(transformers, config_class)(**shape, decoder_start_token_id=0)
        getattr(transformers, model_class)(config).save_pretrained(tmp)
        reference = getattr(transformers, model_class).from_pretrained(tmp).eval()
        model = FlaxAutoModelForSeq2SeqLM.from_pretrained(tmp)
    source = np.random.RandomState(batch).randint(3, shape["vocab_size"], (batch, 32))
    options = dict(max_new_tokens=new, min_new_tokens=new, num_beams=beams, do_sample=False)

    def ours():
        return jax.block_until_ready(model.generate(source, **options))

    def theirs():
        with torch.inference_mode():
            return reference.generate(torch.tensor(source), **options)

    start = time.perf_counter()
    got = np.asarray(ours())
    compile_s = time.perf_counter() - start
    same = "ids equal" if np.array_equal(got, theirs().numpy()) else "IDS DIFFER"
    flax_s, torch_s = _median_pair(ours, theirs, rounds)
    tokens = batch * new
    print(
        f"{name} b{batch} beams {beams}: flax {tokens / flax_s:8.1f} tok/s "
        f"({1e3 * flax_s / new:6.2f} ms/step), reference {tokens / torch_s:8.1f} tok/s "
        f"({1e3 * torch_s / new:6.2f} ms/step); speed x{torch_s / flax_s:.2f}, ms/step ratio "
        f"{flax_s / torch_s:.2f}; first call (compile) {compile_s:.2f} s; {same}"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    rounds = 2 if quick else 3
    bench_generation(GPT2_TINY, (1,), 32, rounds * 2, "gpt2-tiny")
    bench_generation(GPT2_SMALL, (1,) if quick else (1, 8), 16, rounds, "gpt2-small")
    bench_bert(rounds)
    bench_bert_lm(rounds * 4)
    bench_seq2seq("bart-tiny", BART_TINY, 8, 32, 1, rounds * 2)
    if not quick:
        bench_seq2seq("t5-small", T5_SMALL, 8, 32, 1, rounds)
        bench_seq2seq("bart-base", BART_BASE, 2, 32, 4, rounds)


if __name__ == "__main__":
    main()
