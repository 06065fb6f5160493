"""Named sizes of every architecture, and the one factory that builds a backbone from names.

| preset | meant for |
|---|---|
| `tiny` | unit tests: builds and runs in milliseconds |
| `small` | the default: the curriculum on data_samples on a 2-core CPU |
| `large` | upstream-sized runs on a GPU (resnet ~16.6M, vit ~19.0M, mlp-mixer ~17.2M parameters) |

`small` on a 2-core CPU (forward + backward, batch 256, Stage 2 head, quiet machine):
resnet ~0.1 s, mlp-mixer ~0.2 s, vit ~0.33 s. On the Stage 1 patterns (batch 32,
AdamW lr 2e-3..4e-3, gate 0.99 accuracy) resnet passed in ~10-14 epochs, mlp-mixer
and vit in ~23-24; shallower or narrower mixers and vits than these did not pass
in 25, so `small` is the smallest size that learns, not the fastest. For CPU runs
prefer resnet.

The `large` vit is upstream's ViT (512 wide, 6 layers, 8 heads, MLP x4); upstream's
"19.8M" also counted its two linear heads. Parameter counts of the large presets
are locked by tests/test_model_presets.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from torch import nn

from maou_kit.model.backbone import Backbone, BackboneConfig
from maou_kit.model.mlp_mixer import MixerBackbone, MixerConfig
from maou_kit.model.resnet import ResNetBackbone, ResNetConfig
from maou_kit.model.vit import ViTBackbone, ViTConfig

BACKBONE_CLASSES: dict[str, type[Backbone]] = {
    "resnet": ResNetBackbone,
    "mlp-mixer": MixerBackbone,
    "vit": ViTBackbone,
}
CONFIG_CLASSES: dict[str, type[BackboneConfig]] = {
    "resnet": ResNetConfig,
    "mlp-mixer": MixerConfig,
    "vit": ViTConfig,
}

PRESET_CONFIGS: dict[str, dict[str, BackboneConfig]] = {
    "resnet": {
        "tiny": ResNetConfig(dim=16, blocks=1, groups=4),
        "small": ResNetConfig(dim=48, blocks=4, groups=8),
        "large": ResNetConfig(dim=256, blocks=14, groups=32),
    },
    "mlp-mixer": {
        "tiny": MixerConfig(dim=16, depth=1, token_hidden=32, channel_hidden=32),
        "small": MixerConfig(dim=64, depth=4, token_hidden=128, channel_hidden=256),
        "large": MixerConfig(dim=512, depth=8, token_hidden=256, channel_hidden=2048),
    },
    "vit": {
        "tiny": ViTConfig(dim=16, depth=1, heads=2, mlp_ratio=2.0),
        "small": ViTConfig(dim=64, depth=4, heads=4, mlp_ratio=4.0),
        "large": ViTConfig(dim=512, depth=6, heads=8, mlp_ratio=4.0),
    },
}

ARCHITECTURES: tuple[str, ...] = tuple(BACKBONE_CLASSES)
PRESETS: tuple[str, ...] = ("tiny", "small", "large")
DEFAULT_ARCHITECTURE = "resnet"
DEFAULT_PRESET = "small"


def preset_config(arch: str, preset: str = DEFAULT_PRESET) -> BackboneConfig:
    """The frozen config of `preset` for `arch`; ValueError naming the valid names otherwise."""
    if arch not in PRESET_CONFIGS:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(ARCHITECTURES)}")
    if preset not in PRESET_CONFIGS[arch]:
        raise ValueError(
            f"unknown preset {preset!r} for architecture {arch!r}; valid: {', '.join(PRESETS)}"
        )
    return PRESET_CONFIGS[arch][preset]


def _with_overrides(config: BackboneConfig, overrides: Mapping[str, Any]) -> BackboneConfig:
    valid = {field.name for field in fields(config)}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise ValueError(
            f"unknown {type(config).__name__} field(s) {', '.join(unknown)}; "
            f"valid: {', '.join(sorted(valid))}"
        )
    return replace(config, **overrides)


def build_backbone(arch: str, preset: str = DEFAULT_PRESET, **overrides: Any) -> Backbone:
    """A freshly initialised backbone of `arch` at size `preset`, fields overridden by keyword.

    Example: `build_backbone("vit", "small", dropout=0.1)`.
    """
    config = _with_overrides(preset_config(arch, preset), overrides)
    return BACKBONE_CLASSES[arch](config)


def backbone_from_spec(spec: Mapping[str, Any]) -> Backbone:
    """Rebuild a backbone from `Backbone.spec()` (e.g. read back from a checkpoint)."""
    arch = spec.get("arch")
    if arch not in CONFIG_CLASSES:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(ARCHITECTURES)}")
    config = _with_overrides(CONFIG_CLASSES[arch](), dict(spec.get("config", {})))
    return BACKBONE_CLASSES[arch](config)


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of `module` (only those requiring grad if `trainable_only`)."""
    return sum(
        parameter.numel()
        for parameter in module.parameters()
        if parameter.requires_grad or not trainable_only
    )
