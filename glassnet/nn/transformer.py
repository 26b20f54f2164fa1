"""The transformer of "Attention Is All You Need": stacks of encoder or decoder layers (the layers
are in ``transformer_layer``) and the whole encoder-decoder ``Transformer``, with PyTorch's
submodule names throughout, so state dicts move between the two libraries.

>>> import glassnet
>>> from glassnet import nn
>>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
>>> encoder = nn.TransformerEncoder(layer, num_layers=2)
>>> encoder(glassnet.randn(3, 7, 16)).shape
glassnet.Size([3, 7, 16])
"""

from __future__ import annotations

import copy

import glassnet
from glassnet.errors import ShapeError
from glassnet.nn import _arguments as arg
from glassnet.nn import init
from glassnet.nn.containers import ModuleList
from glassnet.nn.functional.activation import relu
from glassnet.nn.module import Module
from glassnet.nn.normalization import LayerNorm
from glassnet.nn.transformer_layer import TransformerDecoderLayer, TransformerEncoderLayer

__all__ = [
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
    "Transformer",
]


class _LayerStack(Module):
    """``num_layers`` deep copies of one layer, then an optional final norm."""

    def __init__(self, layer, num_layers, norm=None):
        super().__init__()
        arg.check_size(type(self).__name__, "num_layers", num_layers, error=ValueError)
        self.layers = ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm


class TransformerEncoder(_LayerStack):
    """``num_layers`` copies of an encoder layer applied in turn, then an optional final norm.

    >>> import glassnet
    >>> layer = glassnet.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    >>> sorted(glassnet.nn.TransformerEncoder(layer, 2).state_dict())[0]
    'layers.0.linear1.bias'
    """

    def __init__(
        self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True
    ):
        super().__init__(encoder_layer, num_layers, norm)
        # Accepted for PyTorch compatibility; they only steer PyTorch's nested-tensor fast path.
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        output = src
        for layer in self.layers:
            output = layer(
                output,
                src_mask=mask,
                is_causal=bool(is_causal),
                src_key_padding_mask=src_key_padding_mask,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(_LayerStack):
    """``num_layers`` copies of a decoder layer applied in turn, then an optional final norm.

    >>> import glassnet
    >>> layer = glassnet.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    >>> decoder = glassnet.nn.TransformerDecoder(layer, 2)
    >>> decoder(glassnet.randn(4, 1, 8), glassnet.randn(6, 1, 8)).shape
    glassnet.Size([4, 1, 8])
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__(decoder_layer, num_layers, norm)

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        output = tgt
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder transformer: ``forward(src, tgt, ...)`` encodes ``src`` and decodes
    ``tgt`` while attending to the encoding. Inputs are (S, N, E), or (N, S, E) with
    ``batch_first=True``.

    >>> import glassnet
    >>> model = glassnet.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
    ...                                 num_decoder_layers=1, dim_feedforward=16)
    >>> src, tgt = glassnet.randn(6, 2, 8), glassnet.randn(4, 2, 8)
    >>> mask = model.generate_square_subsequent_mask(4)
    >>> model(src, tgt, tgt_mask=mask).shape
    glassnet.Size([4, 2, 8])
    """

    def __init__(
        self,
        d_model=512,
        nhead=8,
        num_encoder_layers=6,
        num_decoder_layers=6,
        dim_feedforward=2048,
        dropout=0.1,
        activation=relu,
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        for what, value in (
            ("num_encoder_layers", num_encoder_layers),
            ("num_decoder_layers", num_decoder_layers),
        ):
            arg.check_size("Transformer", what, value, error=ValueError)
        kw = dict(device=device, dtype=dtype)

        def stack(custom, layer_type, stack_type, num_layers):
            if custom is not None:
                return custom
            layer = layer_type(
                d_model,
                nhead,
                dim_feedforward,
                dropout,
                activation,
                layer_norm_eps,
                batch_first,
                norm_first,
                bias,
                **kw,
            )
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            return stack_type(layer, num_layers, norm)

        self.encoder = stack(
            custom_encoder, TransformerEncoderLayer, TransformerEncoder, num_encoder_layers
        )
        self.decoder = stack(
            custom_decoder, TransformerDecoderLayer, TransformerDecoder, num_decoder_layers
        )
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise ShapeError(
                f"the batch number of src and tgt must be equal: src has shape "
                f"{tuple(src.shape)}, tgt {tuple(tgt.shape)} (batch is dim {batch_dim}, since "
                f"batch_first={self.batch_first})."
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ShapeError(
                f"the feature number of src and tgt must be equal to d_model ({self.d_model}); "
                f"got src of shape {tuple(src.shape)} and tgt of shape {tuple(tgt.shape)}."
            )
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """A (sz, sz) float mask with -inf above the diagonal: position i sees 0..i only.

        >>> import glassnet
        >>> glassnet.nn.Transformer.generate_square_subsequent_mask(3)
        tensor([[0., -inf, -inf],
                [0., 0., -inf],
                [0., 0., 0.]])
        """
        full = glassnet.full((sz, sz), float("-inf"), dtype=dtype, device=device)
        return glassnet.triu(full, diagonal=1)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
