"""What each head takes and returns: dummy inputs, labels, output fields and their shapes.

Shapes are written with symbols resolved against the tiny config and the input shape:
B batch, T sequence length, C choices, H hidden size, V vocabulary, L labels; None is a
length the architecture decides (image patches, audio frames), a final `...` any further
dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: head -> (output class name prefix, {field: shape})
HEAD_OUTPUTS: dict[str, tuple[str, dict[str, tuple[Any, ...]]]] = {
    "base": ("BaseModelOutput", {"last_hidden_state": ("B", "T", "H")}),
    "masked-lm": ("MaskedLMOutput", {"logits": ("B", "T", "V")}),
    "causal-lm": ("CausalLMOutput", {"logits": ("B", "T", "V")}),
    "seq2seq-lm": ("Seq2SeqLMOutput", {"logits": ("B", "T", "V")}),
    "speech-seq2seq": ("Seq2SeqLMOutput", {"logits": ("B", "T", "V")}),  # T decoder tokens
    "sequence-classification": ("SequenceClassifierOutput", {"logits": ("B", "L")}),
    "token-classification": ("TokenClassifierOutput", {"logits": ("B", "T", "L")}),
    "question-answering": (
        "QuestionAnsweringModelOutput",
        {"start_logits": ("B", "T"), "end_logits": ("B", "T")},
    ),
    "multiple-choice": ("MultipleChoiceModelOutput", {"logits": ("B", "C")}),
    "next-sentence-prediction": ("NextSentencePredictorOutput", {"logits": ("B", 2)}),
    # pre-training outputs are the architecture's own (BERT: MLM + NSP; ELECTRA: one logit
    # per token): their parity with the reference class is what the kit checks for them
    "pretraining": ("", {}),
    # images and audio (`PluginTester.modality`)
    "image-classification": ("ImageClassifierOutput", {"logits": ("B", "L")}),
    "masked-image-modeling": ("", {}),  # SimMIM's MaskedImageModelingOutput, BEiT's MaskedLM
    "ctc": ("CausalLMOutput", {"logits": ("B", None, "V")}),
    "audio-classification": ("SequenceClassifierOutput", {"logits": ("B", "L")}),
    "audio-frame-classification": ("TokenClassifierOutput", {"logits": ("B", None, "L")}),
    "audio-xvector": ("XVectorOutput", {"logits": ("B", None)}),  # xvector_output_dim
    "image-classification-with-teacher": (
        "DeiTForImageClassificationWithTeacherOutput",
        {"logits": ("B", "L"), "cls_logits": ("B", "L"), "distillation_logits": ("B", "L")},
    ),
    "semantic-segmentation": ("SemanticSegmenterOutput", {"logits": ("B", "L", None, None)}),
    "depth-estimation": ("DepthEstimatorOutput", {"predicted_depth": ("B", None, None)}),
    "video-classification": ("ImageClassifierOutput", {"logits": ("B", "L")}),
    "visual-question-answering": ("SequenceClassifierOutput", {"logits": ("B", "L")}),
    # text-image models (CLIP): B texts and B images score each other
    "zero-shot-image-classification": (
        "",  # the architecture's own class (CLIPOutput, ...)
        {"logits_per_image": ("B", "B"), "logits_per_text": ("B", "B")},
    ),
    "text-model-with-projection": ("", {"text_embeds": ("B", None)}),
    "vision-model-with-projection": ("", {"image_embeds": ("B", None)}),
    "object-detection": (
        "ObjectDetectionOutput",  # (the reference's classes carry the model's name first)
        {"logits": ("B", None, None), "pred_boxes": ("B", None, 4)},
    ),
}
#: The base head's output per modality: images and audio have their own lengths.
BASE_OUTPUTS = {
    "text": ("B", "T", "H"),
    "image": ("B", ...),  # patch tokens, or feature maps (SegFormer)
    "video": ("B", None, "H"),
    "audio": ("B", None, "H"),
    "speech-features": ("B", None, "H"),  # subsampled frames, or the decoder's tokens
    "text+image": ("B", None, "H"),
}


@dataclass(frozen=True)
class Shapes:
    batch: int
    length: int
    choices: int

    def resolve(self, symbols: tuple[Any, ...], config: Any) -> tuple[int | None, ...]:
        table = {
            "B": self.batch,
            "T": self.length,
            "C": self.choices,
            "H": getattr(config, "hidden_size", None),
            "V": getattr(config, "vocab_size", None),
            "L": getattr(config, "num_labels", None),
        }
        return tuple(table.get(s, s) if isinstance(s, str) else s for s in symbols)


def output_fields(head: str, modality: str = "text") -> dict[str, tuple[Any, ...]]:
    """The fields a head's output must have (unknown heads: none checked)."""
    if head == "base":
        return {"last_hidden_state": BASE_OUTPUTS[modality]}
    return HEAD_OUTPUTS.get(head, ("", {}))[1]


def shape_matches(shape: tuple[int, ...], expected: tuple[Any, ...]) -> bool:
    """`shape` is `expected`, a None in `expected` standing for any length and a final `...`
    for any further dimensions."""
    if expected and expected[-1] is Ellipsis:
        expected = expected[:-1]
        shape = shape[: len(expected)]
    return len(shape) == len(expected) and all(
        want is None or got == want for got, want in zip(shape, expected)
    )


#: encoder-decoder models answer these heads with the reference's Seq2Seq* outputs
SEQ2SEQ_OUTPUT_CLASSES = {
    "base": "Seq2SeqModelOutput",
    "sequence-classification": "Seq2SeqSequenceClassifierOutput",
    "question-answering": "Seq2SeqQuestionAnsweringModelOutput",
}


def output_class_prefix(head: str, encoder_decoder: bool = False) -> str:
    if encoder_decoder and head in SEQ2SEQ_OUTPUT_CLASSES:
        return SEQ2SEQ_OUTPUT_CLASSES[head]
    return HEAD_OUTPUTS.get(head, ("", {}))[0]


def token_ids(config: Any, shape: tuple[int, ...], generator: Any) -> Any:
    """Random ids that avoid the special tokens (padding ids shift RoBERTa-style positions)."""
    import torch

    vocab = int(config.vocab_size)
    special = set()
    for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
        value = getattr(config, name, None)
        special.update(value if isinstance(value, list) else [value])
    allowed = torch.tensor([i for i in range(vocab) if i not in special])
    picks = torch.randint(0, len(allowed), shape, generator=generator)
    return allowed[picks]


def dummy_inputs(head: str, config: Any, shapes: Shapes, seed: int, *, padded: bool = True) -> dict:
    """`input_ids` and `attention_mask` for `head`; the last row ends in two padded positions."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    shape: tuple[int, ...] = (shapes.batch, shapes.length)
    if head == "multiple-choice":
        shape = (shapes.batch, shapes.choices, shapes.length)
    input_ids = token_ids(config, shape, generator)
    attention_mask = torch.ones(shape, dtype=torch.long)
    if padded and shapes.batch > 1 and shapes.length > 3:
        attention_mask[-1, ..., -2:] = 0
    eos = getattr(config, "eos_token_id", None)
    if getattr(config, "is_encoder_decoder", False) and isinstance(eos, int):
        # encoder-decoder texts end with </s> (BART-style classifiers read its state)
        last = attention_mask.sum(-1, keepdim=True) - 1
        input_ids = input_ids.scatter(-1, last, eos)
        if head in ("base", "seq2seq-lm"):
            # Marian, Pegasus, M2M100, T5, ... need decoder inputs (BART derives these same ids):
            # the texts shifted right behind the decoder start token.
            start = getattr(config, "decoder_start_token_id", None)
            decoder_input_ids = input_ids.roll(1, dims=-1)
            decoder_input_ids[..., 0] = eos if start is None else start
            return {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "decoder_input_ids": decoder_input_ids,
            }
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def image_size(config: Any) -> tuple[int, int]:
    """`(height, width)` of the config's `image_size` (an int or a pair; 32 when unset)."""
    size = getattr(config, "image_size", 32)
    return (size, size) if isinstance(size, int) else tuple(size)[:2]


def dummy_labels(head: str, config: Any, shapes: Shapes, seed: int) -> dict:
    """Labels that make `head` return a loss (empty for heads without one)."""
    import torch

    generator = torch.Generator().manual_seed(seed + 1)
    b, t, c = shapes.batch, shapes.length, shapes.choices
    labels = int(getattr(config, "num_labels", 2))
    if head in ("masked-lm", "causal-lm", "speech-seq2seq"):
        ids = token_ids(config, (b, t), generator)
        ids[:, 0] = -100
        return {"labels": ids}
    if head == "visual-question-answering":  # soft scores per answer, as VQA's
        return {"labels": torch.rand((b, labels), generator=generator)}
    if head in (
        "sequence-classification",
        "image-classification",
        "video-classification",
        "audio-classification",
        "audio-xvector",
    ):
        return {"labels": torch.randint(0, labels, (b,), generator=generator)}
    if head in ("semantic-segmentation", "depth-estimation"):
        height, width = image_size(config)
        if head == "depth-estimation":
            return {"labels": torch.rand((b, height, width), generator=generator) + 0.5}
        return {"labels": torch.randint(0, labels, (b, height, width), generator=generator)}
    if head == "ctc":  # two characters per clip: fewer than any clip's frames
        return {"labels": torch.randint(1, int(config.vocab_size), (b, 2), generator=generator)}
    if head == "token-classification":
        return {"labels": torch.randint(0, labels, (b, t), generator=generator)}
    if head == "question-answering":
        return {
            "start_positions": torch.randint(0, t, (b,), generator=generator),
            "end_positions": torch.randint(0, t, (b,), generator=generator),
        }
    if head == "multiple-choice":
        return {"labels": torch.randint(0, c, (b,), generator=generator)}
    if head == "next-sentence-prediction":
        return {"labels": torch.randint(0, 2, (b,), generator=generator)}
    return {}
