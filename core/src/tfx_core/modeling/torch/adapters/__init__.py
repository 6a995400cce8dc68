"""LoRA adapters for tfx PyTorch models, file-compatible with PEFT (`adapter_config.json`,
`adapter_model.safetensors`): `model.add_adapter(LoraConfig(...))`, `model.load_adapter(path)`."""

from tfx_core.modeling.torch.adapters.config import LoraConfig
from tfx_core.modeling.torch.adapters.lora import LoraLayer, ModulesToSave
from tfx_core.modeling.torch.adapters.mixin import AdapterMixin

__all__ = ["AdapterMixin", "LoraConfig", "LoraLayer", "ModulesToSave"]
