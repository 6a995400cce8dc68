"""TensorFlow (Keras 3) models vs the reference PyTorch models, same weights, one run.

(a) BERT forward, bert-base shape, batch 8 x 128 and 1 x 16: the TF model called eagerly and
    through `tf.function(jit_compile=True)` (XLA), each as a latency ratio to the reference
    (`transformers`, PyTorch, `inference_mode`). Ratios < 1 mean tfx-TF is faster.
(b) Greedy generation, gpt2-small shape, prompt 16, 32 new tokens, batch 1 and 8: tfx-TF's
    XLA-compiled loop vs the reference's `generate`, as tokens/s ratios after warm-up (> 1 means
    tfx-TF is faster), plus the first call's compile time. Token ids are checked identical.
(c) Seq2seq generation, compiled with XLA (encoder once, static cache, cross K/V once): greedy
    translation at the t5-small shape (batch 8, source 32, 32 new tokens) and beam-4
    summarization at the bart-base shape (batch 2, source 64, 32 new tokens), as tokens/s
    ratios to the reference's `generate` after warm-up, plus the compile time.

Timings alternate between the libraries round by round, so background load hits both alike;
each figure is the median of its rounds. Usage: `python bench/tf.py [--quick] [--seq2seq]
[--smoke]` (`--seq2seq`: part (c) only; `--smoke`: 2-layer models of the same vocabularies,
one round, to check the script end to end in a minute; its ratios mean nothing).
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("USE_TF", "0")

import numpy as np
import torch

BERT_BASE = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
    num_labels=2,
)
GPT2_SMALL = dict(vocab_size=50257, n_embd=768, n_layer=12, n_head=12, n_positions=1024)
PROMPT, NEW_TOKENS = 16, 32


def _median_pair(first, second, rounds: int) -> tuple[float, float]:
    a, b = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        first()
        a.append(time.perf_counter() - start)
        start = time.perf_counter()
        second()
        b.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def _torch_forward(model: torch.nn.Module, ids: torch.Tensor) -> None:
    with torch.inference_mode():
        model(input_ids=ids)


def _torch_generate(model: torch.nn.Module, prompt: torch.Tensor, options: dict) -> np.ndarray:
    with torch.inference_mode():
        return model.generate(prompt, do_sample=False, **options).numpy()


def bench_bert(rounds: int) -> None:
    import tensorflow as tf
    import transformers
    from tfx_plugin_bert.modeling_tf_bert import TFBertForSequenceClassification

    torch.manual_seed(0)
    reference = transformers.BertForSequenceClassification(
        transformers.BertConfig(**BERT_BASE)
    ).eval()
    with tempfile.TemporaryDirectory() as folder:
        reference.save_pretrained(folder)
        model = TFBertForSequenceClassification.from_pretrained(folder, strict=True)
    compiled = tf.function(lambda ids: model(input_ids=ids).logits, jit_compile=True)
    print("(a) BERT forward, bert-base shape: latency ratio tfx-TF / reference PyTorch")
    for batch, length in ((8, 128), (1, 16)):
        ids = np.random.RandomState(0).randint(1000, 20000, (batch, length)).astype(np.int32)
        ids_tf, ids_pt = tf.constant(ids), torch.from_numpy(ids.astype(np.int64))
        with torch.inference_mode():
            want = reference(input_ids=ids_pt).logits.numpy()
        start = time.perf_counter()
        got = compiled(ids_tf).numpy()
        compile_s = time.perf_counter() - start
        assert np.abs(got - want).max() < 1e-4, np.abs(got - want).max()

        run_reference = functools.partial(_torch_forward, reference, ids_pt)
        eager, ref = _median_pair(functools.partial(model, input_ids=ids_tf), run_reference, rounds)
        run_xla = functools.partial(compiled, ids_tf)
        xla, ref2 = _median_pair(run_xla, run_reference, rounds)
        print(
            f"  b{batch}x{length}: reference {ref * 1e3:7.1f} ms | eager {eager * 1e3:7.1f} ms "
            f"(x{eager / ref:.2f}) | XLA {xla * 1e3:7.1f} ms (x{xla / ref2:.2f}), "
            f"first XLA call {compile_s:.1f} s"
        )


def bench_generation(rounds: int) -> None:
    import transformers
    from tfx_plugin_gpt2.modeling_tf_gpt2 import TFGPT2LMHeadModel

    torch.manual_seed(0)
    reference = transformers.GPT2LMHeadModel(transformers.GPT2Config(**GPT2_SMALL)).eval()
    with tempfile.TemporaryDirectory() as folder:
        reference.save_pretrained(folder)
        model = TFGPT2LMHeadModel.from_pretrained(folder, strict=True)
    print(f"(b) greedy generation, gpt2-small shape, prompt {PROMPT}, {NEW_TOKENS} new tokens")
    for batch in (1, 8):
        prompt = np.random.RandomState(1).randint(0, 50000, (batch, PROMPT))
        prompt_pt = torch.from_numpy(prompt)
        options = dict(max_new_tokens=NEW_TOKENS, eos_token_id=None, pad_token_id=0)
        start = time.perf_counter()
        ours = model.generate(prompt, **options).numpy()
        compile_s = time.perf_counter() - start

        run_reference = functools.partial(_torch_generate, reference, prompt_pt, options)
        same = bool((run_reference() == ours).all())
        run_ours = functools.partial(model.generate, prompt, **options)
        tf_s, ref_s = _median_pair(run_ours, run_reference, rounds)
        tokens = batch * NEW_TOKENS
        print(
            f"  b{batch}: reference {tokens / ref_s:7.1f} tok/s | tfx-TF XLA "
            f"{tokens / tf_s:7.1f} tok/s (x{ref_s / tf_s:.2f}) | first call (compile) "
            f"{compile_s:.1f} s | ids identical: {same}"
        )


T5_SMALL = dict(
    vocab_size=32128,
    d_model=512,
    d_kv=64,
    d_ff=2048,
    num_layers=6,
    num_heads=8,
    decoder_start_token_id=0,
)
BART_BASE = dict(
    vocab_size=50265,
    d_model=768,
    encoder_layers=6,
    decoder_layers=6,
    encoder_attention_heads=12,
    decoder_attention_heads=12,
    encoder_ffn_dim=3072,
    decoder_ffn_dim=3072,
)


def bench_seq2seq(rounds: int) -> None:
    import transformers
    from tfx_plugin_bart.modeling_tf_bart import TFBartForConditionalGeneration
    from tfx_plugin_t5.modeling_tf_t5 import TFT5ForConditionalGeneration

    cases = (
        (
            "t5-small greedy",
            transformers.T5ForConditionalGeneration,
            transformers.T5Config,
            T5_SMALL,
            TFT5ForConditionalGeneration,
            8,
            32,
            {},
        ),
        (
            "bart-base beam-4",
            transformers.BartForConditionalGeneration,
            transformers.BartConfig,
            BART_BASE,
            TFBartForConditionalGeneration,
            2,
            64,
            {"num_beams": 4},
        ),
    )
    print(f"(c) seq2seq generation, {NEW_TOKENS} new tokens: tokens/s ratio tfx-TF / reference")
    for name, ref_class, config_class, fields, tf_class, batch, source, extra in cases:
        torch.manual_seed(0)
        reference = ref_class(config_class(**fields)).eval()
        with tempfile.TemporaryDirectory() as folder:
            reference.save_pretrained(folder)
            model = tf_class.from_pretrained(folder, strict=True)
        ids = np.random.RandomState(2).randint(5, 30000, (batch, source))
        options = dict(max_new_tokens=NEW_TOKENS, min_length=0, **extra)
        start = time.perf_counter()
        ours = model.generate(ids, **options).numpy()
        compile_s = time.perf_counter() - start
        run_reference = functools.partial(
            _torch_generate, reference, torch.from_numpy(ids), options
        )
        want = run_reference()
        same = want.shape == ours.shape and bool((want == ours).all())
        run_ours = functools.partial(model.generate, ids, **options)
        tf_s, ref_s = _median_pair(run_ours, run_reference, rounds)
        tokens = batch * (ours.shape[1] - 1)
        print(
            f"  {name} b{batch}: reference {tokens / ref_s:7.1f} tok/s | tfx-TF XLA "
            f"{tokens / tf_s:7.1f} tok/s (x{ref_s / tf_s:.2f}) | first call (compile) "
            f"{compile_s:.1f} s | ids identical: {same}"
        )


def _shrink() -> None:
    """`--smoke`: two narrow layers per model (same vocabularies), to run every path quickly."""
    BERT_BASE.update(hidden_size=64, num_hidden_layers=2, num_attention_heads=4)
    BERT_BASE.update(intermediate_size=128)
    GPT2_SMALL.update(n_embd=64, n_layer=2, n_head=4)
    T5_SMALL.update(d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4)
    BART_BASE.update(d_model=64, encoder_layers=2, decoder_layers=2, encoder_ffn_dim=128)
    BART_BASE.update(encoder_attention_heads=4, decoder_attention_heads=4, decoder_ffn_dim=128)


def main() -> None:
    rounds = 3 if "--quick" in sys.argv else 7
    if "--smoke" in sys.argv:
        rounds = 1
        _shrink()
        print("--smoke: 2-layer models, not the shapes named below; the ratios mean nothing")
    print(f"torch threads {torch.get_num_threads()}, CPUs {os.cpu_count()}, rounds {rounds}")
    if "--seq2seq" not in sys.argv:
        bench_bert(rounds)
        bench_generation(rounds)
    bench_seq2seq(rounds)


if __name__ == "__main__":
    main()
