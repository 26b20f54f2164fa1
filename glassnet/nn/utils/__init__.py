"""glassnet.nn.utils: gradient clipping, parameter vectors, sequence padding."""
