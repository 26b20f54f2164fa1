"""Vision Transformer (Dosovitskiy et al. 2020) with torchvision's modules and state_dict keys.

An image is cut into patch_size x patch_size patches, each projected to ``hidden_dim`` by one
strided convolution (``conv_proj``); a learned class token is put in front, learned position
embeddings are added (``encoder.pos_embedding``), pre-norm Transformer encoder blocks
(``encoder.layers.encoder_layer_N``) mix the patches, and the class token's final state goes
through ``heads.head``. ``vit_b_16`` is torchvision's base model; ``ViT`` builds one of any size
(patch 4 on 8x8 one-channel digits, for example).

>>> import glassnet
>>> model = ViT(image_size=8, patch_size=4, num_layers=1, num_heads=2, hidden_dim=16,
...             mlp_dim=32, num_classes=10, in_channels=1)
>>> model(glassnet.randn(2, 1, 8, 8)).shape
glassnet.Size([2, 10])
>>> model.encoder.pos_embedding.shape  # 4 patches + the class token
glassnet.Size([1, 5, 16])
"""

from __future__ import annotations

import math
from collections import OrderedDict

import glassnet
from glassnet import nn

__all__ = ["VisionTransformer", "ViT", "vit_b_16"]


class MLPBlock(nn.Sequential):
    """Linear -> GELU -> Dropout -> Linear -> Dropout (keys ``mlp.0`` and ``mlp.3``)."""

    def __init__(self, in_dim, mlp_dim, dropout):
        super().__init__(
            nn.Linear(in_dim, mlp_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_dim, in_dim),
            nn.Dropout(dropout),
        )
        for m in self:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """x + attention(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, eps=1e-6):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = nn.LayerNorm(hidden_dim, eps=eps)
        self.self_attention = nn.MultiheadAttention(
            hidden_dim, num_heads, dropout=attention_dropout, batch_first=True
        )
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = nn.LayerNorm(hidden_dim, eps=eps)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)
        self.keep_attention, self.last_attention = False, None

    def forward(self, input):
        x = self.ln_1(input)
        x, weights = self.self_attention(
            x, x, x, need_weights=self.keep_attention, average_attn_weights=False
        )
        if self.keep_attention:
            self.last_attention = weights.detach()  # (batch, heads, tokens, tokens)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Position embeddings, dropout, the blocks, a final LayerNorm."""

    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                 attention_dropout):  # fmt: skip
        super().__init__()
        self.pos_embedding = nn.Parameter(glassnet.empty(1, seq_length, hidden_dim))
        nn.init.normal_(self.pos_embedding, std=0.02)
        self.dropout = nn.Dropout(dropout)
        blocks = OrderedDict(
            (f"encoder_layer_{i}",
             EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout))
            for i in range(num_layers)
        )  # fmt: skip
        self.layers = nn.Sequential(blocks)
        self.ln = nn.LayerNorm(hidden_dim, eps=1e-6)

    def forward(self, x):
        if x.shape[1:] != self.pos_embedding.shape[1:]:
            raise glassnet.ShapeError(
                f"VisionTransformer.encoder: got {x.shape[1]} tokens of width {x.shape[2]}, the "
                f"position embeddings expect {tuple(self.pos_embedding.shape[1:])}; give images "
                "of the image_size the model was built for"
            )
        return self.ln(self.layers(self.dropout(x + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """torchvision's ``VisionTransformer`` (plus ``in_channels`` for grey images)."""

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        num_classes: int = 1000,
        representation_size: int | None = None,
        in_channels: int = 3,
    ):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(
                f"VisionTransformer: image_size {image_size} is not a multiple of patch_size "
                f"{patch_size}; pick a patch size that divides the image"
            )
        self.image_size, self.patch_size, self.hidden_dim = image_size, patch_size, hidden_dim
        self.num_classes = num_classes
        self.conv_proj = nn.Conv2d(in_channels, hidden_dim, patch_size, stride=patch_size)
        fan_in = in_channels * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        seq_length = (image_size // patch_size) ** 2 + 1
        self.class_token = nn.Parameter(glassnet.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout)  # fmt: skip
        self.seq_length = seq_length
        heads = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        n, _, h, w = x.shape
        if h != self.image_size or w != self.image_size:
            raise glassnet.ShapeError(
                f"VisionTransformer: expected {self.image_size}x{self.image_size} images, got "
                f"{h}x{w}; resize them (or build the model with image_size={h})"
            )
        x = self.conv_proj(x)  # (n, hidden, h / p, w / p)
        return x.reshape(n, self.hidden_dim, -1).permute(0, 2, 1)

    def forward(self, x):
        x = self._process_input(x)
        token = self.class_token.expand(x.shape[0], -1, -1)
        x = self.encoder(glassnet.cat([token, x], dim=1))
        return self.heads(x[:, 0])


def ViT(image_size=8, patch_size=4, num_layers=4, num_heads=4, hidden_dim=64, mlp_dim=128,  # noqa: N802
        num_classes=10, in_channels=1, dropout=0.0, attention_dropout=0.0):  # fmt: skip
    """A small vision transformer; the defaults fit scikit-learn's 8x8 digits (4 patches)."""
    return VisionTransformer(
        image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
        attention_dropout, num_classes, in_channels=in_channels,
    )  # fmt: skip


def vit_b_16(*, weights=None, progress=True, num_classes=1000, image_size=224, **kwargs):
    """torchvision's ViT-B/16: 224x224 images, 16x16 patches, 12 layers of width 768.
    Weights are not downloaded: load a torchvision state_dict with ``load_state_dict``."""
    if weights is not None:
        raise ValueError(
            "vit_b_16: glassnet downloads no weights; build the model, then load a state_dict "
            "saved from torchvision (model.load_state_dict(state))"
        )
    return VisionTransformer(image_size, 16, 12, 12, 768, 3072, num_classes=num_classes, **kwargs)
