"""Networks of the curriculum: headless backbones over (board, hand) and the four task heads.

    backbone = build_backbone("resnet", "small")
    features = backbone.forward_features((board, hand))    # (B, backbone.feature_dim)
    logits = LegalMovesHead(backbone.feature_dim)(features)  # (B, 1496)

Architectures (`ARCHITECTURES`): resnet, mlp-mixer, vit; sizes (`PRESETS`): tiny,
small (default), large. See presets.py for what each is meant for.
"""

from maou_kit.model.backbone import POOLINGS, Backbone, BackboneConfig
from maou_kit.model.embedding import PositionEmbedding
from maou_kit.model.heads import LegalMovesHead, PolicyHead, ReachableSquaresHead, ValueHead
from maou_kit.model.mlp_mixer import MixerBackbone, MixerConfig
from maou_kit.model.presets import (
    ARCHITECTURES,
    DEFAULT_ARCHITECTURE,
    DEFAULT_PRESET,
    PRESETS,
    backbone_from_spec,
    build_backbone,
    count_parameters,
    preset_config,
)
from maou_kit.model.resnet import ResNetBackbone, ResNetConfig
from maou_kit.model.vit import ViTBackbone, ViTConfig

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_PRESET",
    "POOLINGS",
    "PRESETS",
    "Backbone",
    "BackboneConfig",
    "LegalMovesHead",
    "MixerBackbone",
    "MixerConfig",
    "PolicyHead",
    "PositionEmbedding",
    "ReachableSquaresHead",
    "ResNetBackbone",
    "ResNetConfig",
    "ValueHead",
    "ViTBackbone",
    "ViTConfig",
    "backbone_from_spec",
    "build_backbone",
    "count_parameters",
    "preset_config",
]
