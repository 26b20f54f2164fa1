"""glassnet.nn.init: weight initialisers (written by the nn-core work)."""
