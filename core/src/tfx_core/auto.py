"""Auto classes: pick the config, tokenizer and model class from a checkpoint's `config.json`.

`model_type` selects the plugin's `ArchitectureSpec`; the Auto class's head key (or, for
`resolve_model_class(config)` with no head, `architectures[0]`) selects the head; the framework
key selects the implementation. Names mirror the reference library so scripts port unchanged.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError
from tfx_core.plugins import get_registry
from tfx_core.plugins.specs import HeadSpec

_HUB_KWARGS = ("revision", "local_files_only", "cache_dir", "token")
#: Arguments of a model's `from_pretrained` that are not config fields (even when a config has
#: a field of the same name, such as `dtype`).
_LOADER_KWARGS = (
    "dtype",
    "torch_dtype",
    "device",
    "strict",
    "allow_pickle",
    "attn_implementation",
    "output_loading_info",
)


def _hub_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: kwargs[key] for key in _HUB_KWARGS if key in kwargs}


class AutoConfig:
    """Builds the right `PretrainedConfig` subclass for a checkpoint or a model type."""

    def __init__(self) -> None:
        raise TypeError("AutoConfig is not instantiated: use AutoConfig.from_pretrained(...).")

    @staticmethod
    def config_class_for(model_type: str) -> type[PretrainedConfig]:
        return get_registry().architecture(model_type).load_config_class()

    @classmethod
    def for_model(cls, model_type: str, **kwargs: Any) -> PretrainedConfig:
        """A fresh config of `model_type` with the given fields (e.g. a tiny test config)."""
        return cls.config_class_for(model_type)(**kwargs)

    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **overrides: Any) -> PretrainedConfig:
        model_type = config_dict.get("model_type")
        if model_type and not isinstance(model_type, str):
            raise ConfigError(
                f"config field 'model_type' must be a string such as \"bert\", got {model_type!r}."
            )
        if not model_type:
            raise ConfigError(
                "The config has no 'model_type' field, so tfx cannot tell which plugin serves "
                'it. Add "model_type" to config.json (e.g. "bert") or load the config with '
                "the architecture's own config class."
            )
        return cls.config_class_for(model_type).from_dict(config_dict, **overrides)

    @classmethod
    def from_pretrained(
        cls, path_or_id: str | os.PathLike, *, return_unused_kwargs: bool = False, **kwargs: Any
    ) -> Any:
        """Load `config.json`; keyword arguments naming config fields override it."""
        check_remote_code(kwargs)
        hub_kwargs = _hub_kwargs(kwargs)
        rest = {key: value for key, value in kwargs.items() if key not in hub_kwargs}
        data = PretrainedConfig.read_config_file(path_or_id, **hub_kwargs)
        config = cls.from_dict(data)
        unused: dict[str, Any] = {}
        for key, value in rest.items():
            canonical = type(config).attribute_map.get(key, key)
            if hasattr(config, canonical) or key == "num_labels":
                setattr(config, key, value)
            else:
                unused[key] = value
        if rest:
            config.validate()
        if return_unused_kwargs:
            return config, unused
        if unused:
            raise ConfigError(
                f"Unknown config fields for {type(config).__name__}: {', '.join(sorted(unused))}."
            )
        return config


def resolve_head(config: PretrainedConfig, head: str | None = None) -> HeadSpec:
    """The head spec for `head`, or for the checkpoint's own `architectures[0]` when None."""
    spec = get_registry().architecture(config.model_type)
    if head is not None:
        return spec.head(head)
    for name in config.architectures or []:
        found = spec.head_for_architecture(name)
        if found is not None:
            return found
    return spec.head("base")


def resolve_model_class(
    config: PretrainedConfig, head: str | None = None, framework: str = "pt"
) -> type:
    """The model class serving `config` for `head` (None: the checkpoint's own head)."""
    return resolve_head(config, head).load(framework)


class _AutoModelBase:
    """Shared logic of the `AutoModel*` classes; each subclass names one head key."""

    head: ClassVar[str] = "base"

    def __init__(self) -> None:
        raise TypeError(
            f"{type(self).__name__} is not instantiated: use "
            f"{type(self).__name__}.from_pretrained(...) or .from_config(config)."
        )

    @classmethod
    def model_class_for(cls, config: PretrainedConfig, framework: str = "pt") -> type:
        return resolve_model_class(config, cls.head, framework)

    @classmethod
    def from_config(cls, config: PretrainedConfig, *, framework: str = "pt", **kwargs: Any) -> Any:
        """A randomly initialised model of the head for `config`."""
        model_class = cls.model_class_for(config, framework)
        from_config = getattr(model_class, "from_config", None)
        return from_config(config, **kwargs) if from_config else model_class(config, **kwargs)

    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | os.PathLike,
        *,
        config: PretrainedConfig | None = None,
        framework: str = "pt",
        **kwargs: Any,
    ) -> Any:
        """Load pretrained weights into the head's class for this checkpoint's model type.

        Keyword arguments naming config fields (e.g. `num_labels=3`) update the config; the
        rest (`dtype`, `device`, `strict`, `revision`, ...) go to the model's `from_pretrained`.
        A folder saved by PEFT (adapter files, no config.json) loads the base model it names,
        then the adapter.
        """
        check_remote_code(kwargs)
        hub_kwargs = _hub_kwargs(kwargs)
        loader_kwargs = {key: kwargs.pop(key) for key in _LOADER_KWARGS if key in kwargs}
        if config is None:
            config, kwargs = _checkpoint_config(path_or_id, kwargs, framework)
            _refuse_unknown(cls, kwargs)
            kwargs.update(hub_kwargs)
        else:
            _refuse_unknown(cls, {k: v for k, v in kwargs.items() if k not in hub_kwargs}, config)
        kwargs.update(loader_kwargs)
        model_class = cls.model_class_for(config, framework)
        return model_class.from_pretrained(path_or_id, config=config, **kwargs)


def _checkpoint_config(
    path_or_id: str | os.PathLike, kwargs: dict[str, Any], framework: str
) -> tuple[PretrainedConfig, dict[str, Any]]:
    """The checkpoint's config and the unused keyword arguments; for a folder saved by PEFT
    (an adapter, no config.json), the config of the base model it names, as the reference
    does (the model class then loads the base weights and the adapter)."""
    from tfx_core.errors import EntryNotFoundError

    try:
        return AutoConfig.from_pretrained(path_or_id, return_unused_kwargs=True, **kwargs)
    except EntryNotFoundError:
        base = _adapter_base_model(path_or_id, _hub_kwargs(kwargs))
        if base is None:
            raise
    if framework != "pt":
        raise ConfigError(
            f"{path_or_id} holds a PEFT adapter: adapters load with framework='pt' only. Load "
            f"the base model ({base}) for {framework!r} and merge the adapter in PyTorch first."
        )
    base_kwargs = {key: value for key, value in kwargs.items() if key != "revision"}
    return AutoConfig.from_pretrained(base, return_unused_kwargs=True, **base_kwargs)


def _adapter_base_model(path_or_id: str | os.PathLike, hub_kwargs: dict[str, Any]) -> str | None:
    """The base model a PEFT adapter folder (or Hub repository) names; None when there is
    no adapter_config.json."""
    from tfx_core import hub
    from tfx_core.modeling.torch.adapters.config import CONFIG_NAME
    from tfx_core.modeling.torch.adapters.files import adapter_base_model

    if hub.resolve_file(path_or_id, CONFIG_NAME, required=False, **hub_kwargs) is None:
        return None
    folder = hub.resolve_snapshot(path_or_id, allow_patterns=[CONFIG_NAME], **hub_kwargs)
    return adapter_base_model(folder)


def check_remote_code(kwargs: dict[str, Any]) -> None:
    """`trust_remote_code`: False is accepted (and dropped) for ported scripts; True is refused,
    since tfx never runs code that comes with a checkpoint."""
    if kwargs.pop("trust_remote_code", False):
        raise ConfigError(
            "trust_remote_code=True: tfx never runs code shipped with a checkpoint. Install the "
            "plugin that serves its model_type (`tfx plugins` lists what is installed) and drop "
            "the argument."
        )


def _refuse_unknown(
    auto: type, kwargs: dict[str, Any], config: PretrainedConfig | None = None
) -> None:
    """Keyword arguments that are neither loading options nor config fields are mistakes."""
    if config is not None:
        attribute_map = type(config).attribute_map
        kwargs = {
            key: value
            for key, value in kwargs.items()
            if not hasattr(config, attribute_map.get(key, key)) and key != "num_labels"
        }
    if kwargs:
        known = ", ".join((*_LOADER_KWARGS, *_HUB_KWARGS, "config", "framework"))
        raise ConfigError(
            f"Unknown arguments for {auto.__name__}.from_pretrained: "
            f"{', '.join(sorted(kwargs))}. They are neither loading options ({known}) nor fields "
            "of the checkpoint's config; check the spelling."
        )


class AutoModel(_AutoModelBase):
    head = "base"


class AutoModelForMaskedLM(_AutoModelBase):
    head = "masked-lm"


class AutoModelForCausalLM(_AutoModelBase):
    head = "causal-lm"


class AutoModelForSeq2SeqLM(_AutoModelBase):
    head = "seq2seq-lm"


class AutoModelForSpeechSeq2Seq(_AutoModelBase):
    head = "speech-seq2seq"


class AutoModelForSequenceClassification(_AutoModelBase):
    head = "sequence-classification"


class AutoModelForTokenClassification(_AutoModelBase):
    head = "token-classification"


class AutoModelForQuestionAnswering(_AutoModelBase):
    head = "question-answering"


class AutoModelForMultipleChoice(_AutoModelBase):
    head = "multiple-choice"


class AutoModelForNextSentencePrediction(_AutoModelBase):
    head = "next-sentence-prediction"


class AutoModelForPreTraining(_AutoModelBase):
    head = "pretraining"


class AutoModelForVision2Seq(_AutoModelBase):
    head = "vision2seq"


class AutoModelForImageClassification(_AutoModelBase):
    head = "image-classification"


class AutoModelForMaskedImageModeling(_AutoModelBase):
    head = "masked-image-modeling"


class AutoModelForZeroShotImageClassification(_AutoModelBase):
    head = "zero-shot-image-classification"


class AutoModelForCTC(_AutoModelBase):
    head = "ctc"


class AutoModelForAudioClassification(_AutoModelBase):
    head = "audio-classification"


class AutoModelForAudioFrameClassification(_AutoModelBase):
    head = "audio-frame-classification"


class AutoModelForAudioXVector(_AutoModelBase):
    head = "audio-xvector"


class AutoTokenizer:
    """Loads the checkpoint's tokenizer (tokenizer.json, or legacy files via a plugin)."""

    def __init__(self) -> None:
        raise TypeError(
            "AutoTokenizer is not instantiated: use AutoTokenizer.from_pretrained(...)."
        )

    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, **kwargs: Any) -> Any:
        from tfx_core.tokenization import Tokenizer

        check_remote_code(kwargs)
        return Tokenizer.from_pretrained(path_or_id, **kwargs)


AUTO_MODEL_CLASSES: dict[str, type[_AutoModelBase]] = {
    auto.head: auto
    for auto in (
        AutoModel,
        AutoModelForMaskedLM,
        AutoModelForCausalLM,
        AutoModelForSeq2SeqLM,
        AutoModelForSpeechSeq2Seq,
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoModelForQuestionAnswering,
        AutoModelForMultipleChoice,
        AutoModelForNextSentencePrediction,
        AutoModelForPreTraining,
        AutoModelForVision2Seq,
        AutoModelForImageClassification,
        AutoModelForMaskedImageModeling,
        AutoModelForZeroShotImageClassification,
        AutoModelForCTC,
        AutoModelForAudioClassification,
        AutoModelForAudioFrameClassification,
        AutoModelForAudioXVector,
    )
}
