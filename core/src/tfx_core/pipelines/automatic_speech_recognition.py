"""`automatic-speech-recognition`: audio in, `{"text"}` out, with CTC models (Wav2Vec2, HuBERT)
or speech encoder-decoders (Speech2Text, `AutoModelForSpeechSeq2Seq`).

Inputs: a local audio file (read with soundfile), a 1-D waveform at the feature extractor's
rate, or `{"raw" | "array": waveform, "sampling_rate": rate}` (resampled with soxr). Long audio
is cut into `chunk_length_s` windows overlapping by `stride_length_s` on each side (default a
sixth of the chunk); each window's logits are cropped by its strides, so the joined tokens read
as one pass, then decoded once. This matches the reference pipeline's chunking.
`return_timestamps="char"` or `"word"` adds `"chunks"`: `[{"text", "timestamp": (start, end)}]`
in seconds, from the frames each merged token spans.

Encoder-decoders `generate` from the features and decode without special tokens; as in the
reference, with `max_new_tokens=256, num_beams=5` unless the checkpoint's generation config says
otherwise (`max_new_tokens=` and `generate_kwargs={...}` override it). They take no chunking and
no timestamps.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import numpy as np

from tfx_core.errors import PipelineError
from tfx_core.pipelines.image_to_text import pipeline_generation_config
from tfx_core.pipelines.media import MediaPipeline
from tfx_core.processing.audio_io import as_waveform


def scaled_stride(stride: tuple[int, int, int], ratio: float) -> tuple[int, int, int]:
    """(samples, left, right) in input samples -> the same in logit frames."""
    total, left, right = stride
    frames = round(total * ratio)
    return frames, round(left / total * frames), round(right / total * frames)


def chunk_windows(
    length: int, chunk: int, left: int, right: int
) -> list[tuple[int, int, int, int]]:
    """(start, end, stride_left, stride_right) of each window over `length` samples."""
    step = chunk - left - right
    windows = []
    for start in range(0, length, step):
        end = start + chunk
        last = end >= length
        size = min(end, length) - start
        stride_left = 0 if start == 0 else left
        if size > stride_left:
            windows.append((start, min(end, length), stride_left, 0 if last else right))
        if last:
            break
    return windows


def _ctc_settings(tokenizer: Any) -> tuple[str, bool]:
    settings = getattr(tokenizer, "init_kwargs", None) or {}
    return settings.get("word_delimiter_token", "|"), bool(settings.get("do_lower_case"))


def ctc_decode(tokenizer: Any, ids: list[int]) -> str:
    """CTC greedy text: repeated tokens merged, padding (the blank) dropped, the word delimiter
    read as a space, ends stripped; lower-cased when the tokenizer says so."""
    delimiter, lower = _ctc_settings(tokenizer)
    blank = tokenizer.pad_token
    tokens = tokenizer.convert_ids_to_tokens(ids)
    merged = [token for token, _ in groupby(tokens) if token != blank]
    text = "".join(" " if token == delimiter else token for token in merged).strip()
    return text.lower() if lower else text


def ctc_char_offsets(tokenizer: Any, ids: list[int]) -> list[dict]:
    """`{"char", "start_offset", "end_offset"}` per merged token (frames), blanks dropped."""
    delimiter, _ = _ctc_settings(tokenizer)
    offsets, end = [], 0
    for token, run in groupby(tokenizer.convert_ids_to_tokens(ids)):
        start, end = end, end + len(list(run))
        if token != tokenizer.pad_token:
            char = " " if token == delimiter else token
            offsets.append({"char": char, "start_offset": start, "end_offset": end})
    return offsets


def ctc_word_offsets(char_offsets: list[dict]) -> list[dict]:
    """Characters between spaces joined into `{"word", "start_offset", "end_offset"}`."""
    words: list[dict] = []
    for is_space, run in groupby(char_offsets, key=lambda item: item["char"] == " "):
        if not is_space:
            run = list(run)
            words.append(
                {
                    "word": "".join(item["char"] for item in run),
                    "start_offset": run[0]["start_offset"],
                    "end_offset": run[-1]["end_offset"],
                }
            )
    return words


#: The reference pipeline's generation defaults for encoder-decoders (after Whisper's).
SEQ2SEQ_GENERATION = {"max_new_tokens": 256, "num_beams": 5}


class AutomaticSpeechRecognitionPipeline(MediaPipeline):
    """Transcribe speech with a CTC head (greedy decoding of the frame-wise argmax) or a
    speech encoder-decoder (`generate`)."""

    task = "automatic-speech-recognition"
    processor_kind = "feature_extractor"
    needs_tokenizer = True

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        config = kwargs.get("config") or getattr(model, "config", None)
        self.seq2seq = bool(getattr(config, "is_encoder_decoder", False))
        if self.seq2seq:
            self.generation_config = pipeline_generation_config(model, SEQ2SEQ_GENERATION)
        super().__init__(model, tokenizer, **kwargs)

    def _sanitize_parameters(
        self,
        chunk_length_s: float | None = None,
        stride_length_s: Any = None,
        return_timestamps: Any = None,
        generate_kwargs: dict | None = None,
        max_new_tokens: int | None = None,
        decoder_kwargs: dict | None = None,
        **unknown: Any,
    ) -> tuple[dict, dict, dict]:
        if unknown:
            raise self._unknown_options(unknown)
        if self.seq2seq:
            return self._seq2seq_parameters(
                chunk_length_s,
                stride_length_s,
                return_timestamps,
                generate_kwargs,
                max_new_tokens,
                decoder_kwargs,
            )
        post: dict[str, Any] = {}
        if return_timestamps is not None:
            if return_timestamps not in ("char", "word"):
                raise PipelineError(
                    "CTC models give character or word timestamps: use "
                    f"return_timestamps='char' or 'word', not {return_timestamps!r}."
                )
            post["return_timestamps"] = return_timestamps
        if generate_kwargs or max_new_tokens is not None or decoder_kwargs:
            raise PipelineError(
                "generate_kwargs, max_new_tokens and decoder_kwargs apply to sequence-to-sequence "
                "or language-model decoding, which tfx's CTC speech recognition does not use."
            )
        pre: dict[str, Any] = {}
        if chunk_length_s:
            if not isinstance(chunk_length_s, (int, float)) or chunk_length_s <= 0:
                raise PipelineError(f"chunk_length_s must be positive, got {chunk_length_s!r}.")
            pre["chunk_length_s"] = chunk_length_s
        if stride_length_s is not None:
            pre["stride_length_s"] = stride_length_s
        return pre, {}, post

    def _seq2seq_parameters(
        self,
        chunk_length_s: Any,
        stride_length_s: Any,
        return_timestamps: Any,
        generate_kwargs: dict | None,
        max_new_tokens: int | None,
        decoder_kwargs: dict | None,
    ) -> tuple[dict, dict, dict]:
        """Encoder-decoders: generation options only."""
        if chunk_length_s or stride_length_s is not None or return_timestamps or decoder_kwargs:
            raise PipelineError(
                "chunk_length_s, stride_length_s, return_timestamps and decoder_kwargs apply to "
                f"CTC models; a {self.config.model_type} encoder-decoder transcribes each clip in "
                "one pass (cut long audio yourself, or pass generate_kwargs / max_new_tokens)."
            )
        forward: dict[str, Any] = dict(generate_kwargs or {})
        if max_new_tokens is not None:
            if "max_new_tokens" in forward:
                raise PipelineError(
                    "max_new_tokens is given both as an argument and in generate_kwargs: pass it "
                    "once."
                )
            forward["max_new_tokens"] = max_new_tokens
        return {}, forward, {}

    def preprocess(
        self, item: Any, chunk_length_s: float = 0, stride_length_s: Any = None
    ) -> list[dict]:
        extractor = self.feature_extractor
        rate = extractor.sampling_rate
        extra: dict[str, Any] = {}
        if isinstance(item, dict):
            if "stride" in item:
                raise PipelineError("Audio dicts with a 'stride' key are not supported.")
            extra = {
                k: v for k, v in item.items() if k not in ("raw", "array", "sampling_rate", "path")
            }
        waveform = as_waveform(item, rate)
        if not chunk_length_s:
            return [{**self._features(waveform), "stride": None, **extra}]
        if stride_length_s is None:
            stride_length_s = chunk_length_s / 6
        if isinstance(stride_length_s, (int, float)):
            stride_length_s = [stride_length_s, stride_length_s]
        align = getattr(self.config, "inputs_to_logits_ratio", None) or 1
        chunk = int(round(chunk_length_s * rate / align) * align)
        left = int(round(stride_length_s[0] * rate / align) * align)
        right = int(round(stride_length_s[1] * rate / align) * align)
        if chunk < left + right:
            raise PipelineError(
                f"chunk_length_s ({chunk_length_s}) must be longer than the two strides "
                f"({stride_length_s[0]} + {stride_length_s[1]} s)."
            )
        return [
            {
                **self._features(waveform[start:end]),
                "stride": (end - start, s_left, s_right),
                **extra,
            }
            for start, end, s_left, s_right in chunk_windows(len(waveform), chunk, left, right)
        ]

    def _features(self, waveform: np.ndarray) -> dict:
        processed = self.feature_extractor(
            waveform, sampling_rate=self.feature_extractor.sampling_rate, return_attention_mask=True
        )
        return {key: value[0] for key, value in processed.items()}

    def _forward(self, model_inputs: dict[str, Any], **generate_kwargs: Any) -> dict[str, Any]:
        if self.seq2seq:
            generate_kwargs.setdefault("generation_config", self.generation_config)
            inputs = {k: v for k, v in model_inputs.items() if k != "stride"}
            return {"tokens": self.model.generate(**inputs, **generate_kwargs)}
        logits = self.model(**model_inputs)["logits"]
        return {"tokens": logits.argmax(dim=-1)}

    def postprocess(self, chunks: list[dict], return_timestamps: str | None = None) -> dict:
        if self.seq2seq:  # one chunk: the clip's generated ids
            ids = chunks[0]["tokens"].tolist()
            result = {"text": self.tokenizer.decode(ids, skip_special_tokens=True)}
            return self._with_extra_keys(result, chunks)
        ratio = 1 / (getattr(self.config, "inputs_to_logits_ratio", None) or 1)
        pieces = []
        for chunk in chunks:
            tokens = chunk["tokens"].numpy()
            if chunk["stride"] is not None:
                total, left, right = scaled_stride(chunk["stride"], ratio)
                tokens = tokens[left : total - right]
            pieces.append(tokens)
        ids = np.concatenate(pieces).tolist()
        result: dict[str, Any] = {"text": ctc_decode(self.tokenizer, ids)}
        if return_timestamps:
            offsets = ctc_char_offsets(self.tokenizer, ids)
            if return_timestamps == "word":
                offsets = ctc_word_offsets(offsets)
            samples = getattr(self.config, "inputs_to_logits_ratio", None) or 1
            rate = self.feature_extractor.sampling_rate
            result["chunks"] = [
                {
                    "text": item[return_timestamps],
                    "timestamp": (
                        item["start_offset"] * samples / rate,
                        item["end_offset"] * samples / rate,
                    ),
                }
                for item in offsets
            ]
        return self._with_extra_keys(result, chunks)

    @staticmethod
    def _with_extra_keys(result: dict[str, Any], chunks: list[dict]) -> dict[str, Any]:
        """The input dict's other keys, passed through (one value per chunk)."""
        extra_keys = [k for k in chunks[0] if k not in _FEATURE_KEYS]
        for key in extra_keys:
            result[key] = [chunk[key] for chunk in chunks]
        return result


_FEATURE_KEYS = {"input_values", "input_features", "attention_mask", "tokens", "stride"}
