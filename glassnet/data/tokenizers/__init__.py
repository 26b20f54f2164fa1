"""Tokenizers: byte-level BPE (GPT-2) and WordPiece (BERT), trained here or read from a
Hugging Face ``tokenizer.json``.

>>> from glassnet.data.tokenizers import ByteLevelBPETokenizer, Tokenizer
>>> tok = ByteLevelBPETokenizer.train(["low lower lowest"] * 3, vocab_size=262)
>>> tok.tokenize("low lowest")[0], tok.decode(tok.encode("low lowest").ids)
('low', 'low lowest')
"""

from glassnet.data.tokenizers.tokenizer import (
    ByteLevelBPETokenizer,
    Encoding,
    Tokenizer,
    WordPieceTokenizer,
)

__all__ = ["Tokenizer", "Encoding", "ByteLevelBPETokenizer", "WordPieceTokenizer"]
