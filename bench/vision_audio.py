"""ViT-base (batch 8) and Wav2Vec2-base (10 s of audio) forwards: tfx vs transformers, one run.

Same weights (random, saved by transformers and loaded by both), `inference_mode`, fp32,
rounds alternating between the libraries (see bench/bert.py); the printed ratio is tfx time /
transformers time (below 1 is faster). Target (issue 20): <= 0.8x. ViT-base is
224x224/16 with the image-classification head; Wav2Vec2-base is the CTC head on one 10 s clip.
Usage: `python bench/vision_audio.py [--quick] [--threads N]`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import compare_forward


def _pair(folder: Path, reference_class, ours_class, config):
    torch.manual_seed(0)
    reference_class(config).save_pretrained(folder)
    ours = ours_class.from_pretrained(folder)
    return ours, reference_class.from_pretrained(folder).eval()


def main() -> None:
    quick = "--quick" in sys.argv
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    import transformers
    from tfx_plugin_vit.modeling_vit import ViTForImageClassification
    from tfx_plugin_wav2vec2.modeling_wav2vec2 import Wav2Vec2ForCTC

    transformers.logging.set_verbosity_error()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    rounds = 3 if quick else 7
    generator = torch.Generator().manual_seed(0)
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        vit = _pair(
            Path(tmp) / "vit",
            transformers.ViTForImageClassification,
            ViTForImageClassification,
            transformers.ViTConfig(num_labels=1000),
        )
        pixels = {"pixel_values": torch.randn(8, 3, 224, 224, generator=generator)}
        ratios["vit-base b8"] = compare_forward(
            "ViT-base, 8 images 224x224", *vit, pixels, rounds, 1
        )
        del vit
        w2v = _pair(
            Path(tmp) / "w2v",
            transformers.Wav2Vec2ForCTC,
            Wav2Vec2ForCTC,
            transformers.Wav2Vec2Config(),  # wav2vec2-base shape, CTC head (32 characters)
        )
        audio = {"input_values": torch.randn(1, 160_000, generator=generator)}
        ratios["wav2vec2-base 10s"] = compare_forward(
            "Wav2Vec2-base CTC, 10 s audio", *w2v, audio, rounds, 1
        )
    print("ratios (tfx / transformers):", ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
