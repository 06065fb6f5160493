"""Locks down the named sizes: parameter counts, name errors, configs that rebuild a backbone."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from maou_kit.model import (
    ARCHITECTURES,
    PRESETS,
    backbone_from_spec,
    build_backbone,
    count_parameters,
    preset_config,
)
from maou_kit.model.presets import PRESET_CONFIGS

# Exact counts: a change here changes every checkpoint, so it must be deliberate.
EXPECTED_PARAMETERS = {
    ("resnet", "large"): 16_568_859,
    ("mlp-mixer", "large"): 17_227_427,
    ("vit", "large"): 19_007_051,
}
# Upstream's sizes (resnet ~17M; vit ~19.8M, which counted its two linear heads too).
UPSTREAM_TARGETS = {"resnet": 17.0e6, "mlp-mixer": 17.0e6, "vit": 19.8e6}


def test_architectures_and_presets_are_listed_for_the_cli() -> None:
    assert ARCHITECTURES == ("resnet", "mlp-mixer", "vit")
    assert PRESETS == ("tiny", "small", "large")
    assert all(set(PRESET_CONFIGS[arch]) == set(PRESETS) for arch in ARCHITECTURES)


@pytest.mark.parametrize(("arch", "preset"), sorted(EXPECTED_PARAMETERS))
def test_large_presets_have_their_exact_parameter_count(arch: str, preset: str) -> None:
    count = count_parameters(build_backbone(arch, preset))
    assert count == EXPECTED_PARAMETERS[(arch, preset)]
    assert abs(count / UPSTREAM_TARGETS[arch] - 1) <= 0.05


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_presets_grow_from_tiny_to_large(arch: str) -> None:
    counts = [count_parameters(build_backbone(arch, preset)) for preset in PRESETS]
    assert counts == sorted(counts)
    assert len(set(counts)) == len(counts)


def test_count_parameters_can_skip_frozen_parameters() -> None:
    module = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    module[0].requires_grad_(False)
    assert count_parameters(module) == 16 + 10
    assert count_parameters(module, trainable_only=True) == 10


@pytest.mark.parametrize(("arch", "preset"), [(a, p) for a in ARCHITECTURES for p in PRESETS])
def test_no_preset_normalises_with_batch_statistics(arch: str, preset: str) -> None:
    backbone = build_backbone(arch, preset)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in backbone.modules())


def test_an_unknown_architecture_names_the_valid_ones() -> None:
    with pytest.raises(
        ValueError, match="unknown architecture 'transformer'.*resnet, mlp-mixer, vit"
    ):
        build_backbone("transformer")


def test_an_unknown_preset_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown preset 'huge'.*tiny, small, large"):
        build_backbone("vit", "huge")


def test_an_unknown_override_names_the_valid_fields() -> None:
    with pytest.raises(ValueError, match="unknown ViTConfig field.*blocks.*valid:.*depth"):
        build_backbone("vit", "tiny", blocks=3)


def test_the_default_preset_is_small() -> None:
    backbone = build_backbone("resnet")
    assert backbone.config == preset_config("resnet", "small")


def test_overrides_replace_preset_fields() -> None:
    backbone = build_backbone("mlp-mixer", "tiny", dropout=0.25, depth=2)
    assert backbone.config.dropout == 0.25
    assert len(backbone.blocks) == 2


def test_mean_pooling_gives_one_feature_per_channel() -> None:
    backbone = build_backbone("vit", "tiny", pooling="mean")
    assert backbone.feature_dim == backbone.config.dim


def test_flatten_pooling_gives_a_plane_per_pool_channel() -> None:
    assert build_backbone("resnet", "tiny").feature_dim == 27 * 81
    assert build_backbone("resnet", "tiny", pool_dim=100).feature_dim == 100


def test_an_unknown_pooling_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown pooling 'max'.*mean, flatten"):
        build_backbone("resnet", "tiny", pooling="max")


def test_resnet_can_use_batch_norm_for_comparison_with_upstream() -> None:
    backbone = build_backbone("resnet", "tiny", norm="batch")
    assert any(isinstance(m, nn.BatchNorm2d) for m in backbone.modules())
    with pytest.raises(ValueError, match="unknown resnet norm 'layer'.*group, batch"):
        build_backbone("resnet", "tiny", norm="layer")


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_spec_rebuilds_an_identical_backbone(arch: str) -> None:
    original = build_backbone(arch, "tiny", dropout=0.0).eval()
    rebuilt = backbone_from_spec(original.spec())
    rebuilt.load_state_dict(original.state_dict())
    rebuilt.eval()
    board = torch.randint(0, 29, (2, 9, 9), dtype=torch.uint8)
    hand = torch.randint(0, 3, (2, 14), dtype=torch.uint8)
    assert rebuilt.config == original.config
    torch.testing.assert_close(rebuilt((board, hand)), original((board, hand)), rtol=0, atol=0)


def test_a_spec_with_an_unknown_architecture_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown architecture 'cnn'"):
        backbone_from_spec({"arch": "cnn", "config": {}})
