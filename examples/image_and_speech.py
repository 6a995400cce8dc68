"""Classify a local image and transcribe a local audio file, offline, with tfx pipelines.

No real vision or speech checkpoint ships with this repository, so the script builds small
RANDOM-WEIGHT ViT and Wav2Vec2 checkpoints in a temporary folder (config, safetensors weights,
preprocessor_config.json, CTC vocabulary) and writes a picture (PNG) and a synthesized clip
(WAV). The pipelines then run end to end exactly as they would on Hub checkpoints: the labels
and the transcript are meaningless because the weights are random.
Run: `.venv/bin/python examples/image_and_speech.py [image.png] [audio.wav]`, or pass
`--model-image ORG/NAME --model-speech ORG/NAME` to use checkpoints from your Hub cache.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import torch
from PIL import Image
from tfx_plugin_vit.configuration_vit import ViTConfig
from tfx_plugin_vit.modeling_vit import ViTForImageClassification
from tfx_plugin_vit.processing_vit import ViTImageProcessor
from tfx_plugin_wav2vec2.configuration_wav2vec2 import Wav2Vec2Config
from tfx_plugin_wav2vec2.modeling_wav2vec2 import Wav2Vec2ForCTC
from tfx_plugin_wav2vec2.processing_wav2vec2 import Wav2Vec2FeatureExtractor

from tfx_core import pipeline

LABELS = ["cat", "dog", "bird", "car", "tree"]
VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ETAONRISHDLU'"]


def random_vit(folder: Path) -> Path:
    torch.manual_seed(0)
    config = ViTConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        image_size=64,
        patch_size=16,
        id2label=dict(enumerate(LABELS)),
    )
    ViTForImageClassification(config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 64, "width": 64}).save_pretrained(folder)
    return folder


def random_wav2vec2(folder: Path) -> Path:
    torch.manual_seed(0)
    config = Wav2Vec2Config(
        vocab_size=len(VOCAB),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        conv_dim=[32, 32, 32],
        conv_stride=[5, 4, 4],
        conv_kernel=[10, 8, 4],
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
    )
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor().save_pretrained(folder)
    (folder / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(VOCAB)}))
    settings = {"tokenizer_class": "Wav2Vec2CTCTokenizer", "word_delimiter_token": "|"}
    (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    return folder


def write_picture(path: Path) -> Path:
    """A 96x128 gradient with a disc, saved as PNG."""
    rows, cols = np.mgrid[0:96, 0:128]
    red = (cols * 2).astype(np.uint8)
    green = (rows * 2).astype(np.uint8)
    blue = np.where((rows - 48) ** 2 + (cols - 64) ** 2 < 900, 230, 40).astype(np.uint8)
    Image.fromarray(np.stack([red, green, blue], axis=-1)).save(path)
    return path


def write_clip(path: Path, seconds: float = 2.0, rate: int = 16000) -> Path:
    """A voiced-sounding synthetic clip (a gliding pitch with harmonics), saved as WAV."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(140 + 40 * np.sin(2 * np.pi * 0.7 * t)) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 6)) * (0.6 + 0.4 * np.sin(7 * t))
    soundfile.write(path, (0.2 * voice).astype(np.float32), rate, subtype="PCM_16")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", help="a local image (default: a generated PNG)")
    parser.add_argument("audio", nargs="?", help="a local audio file (default: a generated WAV)")
    parser.add_argument("--model-image", help="image-classification checkpoint (folder or id)")
    parser.add_argument("--model-speech", help="CTC speech checkpoint (folder or id)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        image = args.image or write_picture(work / "picture.png")
        audio = args.audio or write_clip(work / "speech.wav")
        vision_model = args.model_image or random_vit(work / "vit")
        speech_model = args.model_speech or random_wav2vec2(work / "wav2vec2")
        if not (args.model_image and args.model_speech):
            print("NOTE: random-weight models (no checkpoint ships with tfx): the labels and the")
            print("transcript below are meaningless; the pipelines ran end to end offline.\n")
        classify = pipeline("image-classification", model=str(vision_model))
        print(f"image-classification of {Path(image).name}:")
        for result in classify(str(image), top_k=3):
            print(f"  {result['label']:<6} {result['score']:.3f}")
        transcribe = pipeline("automatic-speech-recognition", model=str(speech_model))
        text = transcribe(str(audio), chunk_length_s=1.0)["text"]
        print(f"\nautomatic-speech-recognition of {Path(audio).name} (1 s strided chunks):")
        print(f"  {text!r}")


if __name__ == "__main__":
    main()
