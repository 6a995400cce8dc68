"""Greedy generation speed of GPT-Neo, GPT-J, OpenAI GPT and CTRL: tfx against transformers.

Each pair shares random weights (the reference is initialised, its state dict loaded into tfx's
model); both generate NEW_TOKENS tokens greedily from a PROMPT-token prompt and must produce
identical ids. Timings are medians of interleaved runs after a warm-up, in one process; the
table prints tokens/s of each and their ratio (tfx / reference).

Run: .venv/bin/python bench/decoders_breadth.py [--models gpt-neo,gptj] [--batch 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch

PROMPT = 32
NEW_TOKENS = 64
SHAPE = dict(hidden=512, layers=6, heads=8, vocab=8000, positions=512)


def _pairs() -> dict:
    """name -> (reference class, reference config, tfx class, tfx config, config fields)."""
    h, n, a, v, p = (SHAPE[k] for k in ("hidden", "layers", "heads", "vocab", "positions"))
    gpt = dict(n_embd=h, n_layer=n, n_head=a, vocab_size=v, n_positions=p)
    return {
        "gpt-neo": (
            "GPTNeoForCausalLM",
            "GPTNeoConfig",
            "tfx_plugin_gpt_neo.modeling_gpt_neo:GPTNeoForCausalLM",
            dict(
                hidden_size=h,
                num_layers=n,
                num_heads=a,
                vocab_size=v,
                max_position_embeddings=p,
                attention_types=[[["global", "local"], n // 2]],
                window_size=32,
            ),
        ),
        "gptj": (
            "GPTJForCausalLM",
            "GPTJConfig",
            "tfx_plugin_gptj.modeling_gptj:GPTJForCausalLM",
            dict(gpt, rotary_dim=32),
        ),
        "openai-gpt": (
            "OpenAIGPTLMHeadModel",
            "OpenAIGPTConfig",
            "tfx_plugin_openai_gpt.modeling_openai_gpt:OpenAIGPTLMHeadModel",
            gpt,
        ),
        "ctrl": (
            "CTRLLMHeadModel",
            "CTRLConfig",
            "tfx_plugin_ctrl.modeling_ctrl:CTRLLMHeadModel",
            dict(gpt, dff=4 * h),
        ),
    }


def build(name: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    import transformers

    from tfx_core.utils.imports import import_string

    ref_class, ref_config, ours_path, fields = _pairs()[name]
    fields = dict(fields, bos_token_id=None, eos_token_id=None)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = getattr(transformers, ref_class)(getattr(transformers, ref_config)(**fields))
    ours_class = import_string(ours_path)
    ours = ours_class(ours_class.config_class(**fields)).eval()
    ours.load_state_dict(reference.state_dict(), strict=False)
    return ours, reference.eval()


def timed(model: torch.nn.Module, prompt: torch.Tensor) -> tuple[float, torch.Tensor]:
    start = time.perf_counter()
    with torch.no_grad():
        out = model.generate(
            prompt,
            max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS,
            do_sample=False,
            pad_token_id=0,
        )
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="gpt-neo,gptj,openai-gpt,ctrl")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import transformers

    transformers.logging.set_verbosity_error()
    print(f"greedy {NEW_TOKENS} tokens after {PROMPT}, batch {args.batch}, fp32, {SHAPE}")
    print(f"{'model':<12}{'tfx tok/s':>12}{'ref tok/s':>12}{'ratio':>8}")
    for name in args.models.split(","):
        ours, reference = build(name)
        prompt = torch.randint(
            1, SHAPE["vocab"], (args.batch, PROMPT), generator=torch.Generator().manual_seed(1)
        )
        timed(ours, prompt), timed(reference, prompt)  # warm-up
        times: dict[str, list[float]] = {"ours": [], "ref": []}
        for _ in range(args.repeats):
            seconds, got = timed(ours, prompt)
            times["ours"].append(seconds)
            seconds, want = timed(reference, prompt)
            times["ref"].append(seconds)
            if not torch.equal(got, want):
                raise SystemExit(f"{name}: tfx and the reference generated different ids")
        rates = {k: args.batch * NEW_TOKENS / statistics.median(v) for k, v in times.items()}
        print(
            f"{name:<12}{rates['ours']:>12.1f}{rates['ref']:>12.1f}{rates['ours'] / rates['ref']:>8.2f}"
        )


if __name__ == "__main__":
    main()
