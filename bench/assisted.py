"""Prompt lookup decoding: plain greedy against `prompt_lookup_num_tokens`, tfx and transformers.

The Llama-shaped model of `bench/llm.py` (fewer layers by default, fp32, random weights saved
once) continues an input-grounded prompt: a seed, the model's own greedy continuation of it,
and the seed again, so the next tokens repeat text already in the prompt (as when summarising
or editing a given document). Each library generates NEW_TOKENS greedily, plain and with
prompt lookup; runs are interleaved (a warm-up first, then the median of --repeats). The table
prints tokens/s, the speed-up of prompt lookup over plain decoding, tfx / reference ratios,
the acceptance rate (accepted candidate tokens / proposed ones, tfx) and the main-model
forwards per run, and checks that every variant gives the same ids. Then the time of one
check forward over 4 and 11 positions (after the prompt is cached) through tfx's decode plan
(`LeanDecoding._decode_forward_positions`) and through the modules, against a one-token step.
`--module-checks` sends tfx's checks through the modules (tfx before the plan ran them).

Run: .venv/bin/python bench/assisted.py [--layers 4] [--new-tokens 128] [--repeats 3]
     [--lookup 10] [--threads N] [--module-checks]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("USE_FLAX", "0")

from llm import SHAPE, load

SEED_TOKENS = 16


def save_fp32_checkpoint(folder: Path, layers: int) -> None:
    import transformers

    config = transformers.LlamaConfig(**dict(SHAPE, num_hidden_layers=layers))
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.LlamaForCausalLM(config)
    model.save_pretrained(folder, safe_serialization=True)


def grounded_prompt(model: torch.nn.Module, new_tokens: int) -> torch.Tensor:
    """Seed + the model's greedy continuation of it + the seed again."""
    generator = torch.Generator().manual_seed(1)
    seed = torch.randint(3, SHAPE["vocab_size"], (1, SEED_TOKENS), generator=generator)
    continuation = model.generate(seed, max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    return torch.cat([continuation, seed], dim=1)


class Acceptance:
    """Counts tfx's check forwards and the candidates they carried."""

    def __init__(self, model: torch.nn.Module) -> None:
        from tfx_core.generation import assisted

        self.rounds = self.proposed = 0
        original = assisted.forward_positions

        def counted(checked, *args, **kwargs):
            if checked is model:
                self.rounds += 1
                self.proposed += kwargs["num_logits"] - 1
            return original(checked, *args, **kwargs)

        assisted.forward_positions = counted


def check_times(model: torch.nn.Module, prompt: torch.Tensor, repeats: int = 15) -> None:
    """Median ms of a one-token step and of checks over 4 and 11 positions (plan, modules),
    interleaved, each continuing the cached prompt (cropped back after every call)."""
    from tfx_core.generation.config import GenerationConfig

    def step(ids, cache):
        return model._decode_forward(ids, attention_mask=None, position_ids=None, cache=cache)

    def plan(ids, cache):
        return model._decode_forward_positions(ids, cache=cache, num_logits=ids.shape[1])

    def modules(ids, cache):
        keep = ids.shape[1]
        return model(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=keep)

    with torch.no_grad():
        model._prepare_for_decoding()
        cache = model._make_generation_cache(GenerationConfig(), 1, 0)
        model(input_ids=prompt, past_key_values=cache, use_cache=True)
        cases = [("one-token step", step, 1)]
        cases += [
            (f"{n} positions, {kind}", f, n)
            for n in (4, 11)
            for kind, f in (("plan", plan), ("modules", modules))
        ]
        times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for repeat in range(repeats + 1):
            for name, run, rows in cases:
                ids = prompt[:, :rows]
                start = time.perf_counter()
                run(ids, cache)
                if repeat:
                    times[name].append(time.perf_counter() - start)
                cache.crop(prompt.shape[1])
    for name, spent in times.items():
        print(f"check forward, {name:<22}{1e3 * statistics.median(spent):>7.1f} ms")


def module_checks() -> None:
    """tfx's assisted checks through the modules, as before the decode plan ran them."""
    from tfx_core.modeling.torch.blocks.lean_decoder import DecodePlan

    DecodePlan.positions = property(lambda plan: False, lambda plan, value: None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lookup", type=int, default=10, help="prompt_lookup_num_tokens")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--module-checks", action="store_true", help="tfx checks via modules")
    args = parser.parse_args()
    if args.module_checks:
        module_checks()
    if args.threads:
        torch.set_num_threads(args.threads)
    import transformers

    transformers.logging.set_verbosity_error()
    new = args.new_tokens
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        save_fp32_checkpoint(folder, args.layers)
        models = {lib: load(lib, folder, torch.float32) for lib in ("tfx", "reference")}
    prompt = grounded_prompt(models["tfx"], new)
    forwards = {"reference": 0}
    models["reference"].register_forward_pre_hook(
        lambda *_: forwards.__setitem__("reference", forwards["reference"] + 1)
    )
    acceptance = Acceptance(models["tfx"])
    variants = [(lib, mode) for mode in ("plain", "lookup") for lib in ("tfx", "reference")]
    times: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    outputs: dict[tuple[str, str], list[int]] = {}
    runs: dict[tuple[str, str], tuple[int, int]] = {}
    for repeat in range(args.repeats + 1):  # the first round is a warm-up
        for lib, mode in variants:
            extra = {"prompt_lookup_num_tokens": args.lookup} if mode == "lookup" else {}
            acceptance.rounds = acceptance.proposed = forwards["reference"] = 0
            start = time.perf_counter()
            with torch.no_grad():
                ids = models[lib].generate(prompt, max_new_tokens=new, min_new_tokens=new, **extra)
            elapsed = time.perf_counter() - start
            outputs[(lib, mode)] = ids[0, prompt.shape[1] : prompt.shape[1] + new].tolist()
            if lib == "tfx" and mode == "lookup":
                runs[(lib, mode)] = (acceptance.rounds, acceptance.proposed)
            elif lib == "reference":
                runs[(lib, mode)] = (forwards["reference"], 0)
            if repeat:
                times[(lib, mode)].append(elapsed)
    speed = {v: new / statistics.median(t) for v, t in times.items()}
    print(
        f"Llama-shaped fp32, {args.layers} layers, prompt {prompt.shape[1]} tokens, {new} new "
        f"tokens, prompt_lookup_num_tokens={args.lookup}, {torch.get_num_threads()} threads, "
        f"median of {args.repeats}"
    )
    print(f"{'variant':<22}{'tok/s':>9}{'forwards':>10}")
    for lib, mode in variants:
        count = new if (lib, mode) == ("tfx", "plain") else runs[(lib, mode)][0]
        print(f"{lib + ' ' + mode:<22}{speed[(lib, mode)]:>9.1f}{count:>10}")
    rounds, proposed = runs[("tfx", "lookup")]
    accepted = new - rounds  # each round adds its accepted candidates plus one token
    print(
        f"tfx lookup / tfx plain:        {speed[('tfx', 'lookup')] / speed[('tfx', 'plain')]:.2f}x"
    )
    print(
        f"ref lookup / ref plain:        "
        f"{speed[('reference', 'lookup')] / speed[('reference', 'plain')]:.2f}x"
    )
    print(
        f"tfx / ref, plain:              {speed[('tfx', 'plain')] / speed[('reference', 'plain')]:.2f}x"
    )
    print(
        f"tfx / ref, lookup:             "
        f"{speed[('tfx', 'lookup')] / speed[('reference', 'lookup')]:.2f}x"
    )
    print(f"acceptance (tfx): {accepted}/{proposed} candidates = {accepted / max(proposed, 1):.0%}")
    same = len({tuple(ids) for ids in outputs.values()}) == 1
    print(f"identical ids across the four variants: {same}")
    check_times(models["tfx"], prompt)


if __name__ == "__main__":
    main()
