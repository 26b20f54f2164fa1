"""glassnet.interop: weights to and from other frameworks. ``glassnet.interop.torch`` moves
the vision zoo's weights between glassnet and PyTorch/torchvision, and reads PyTorch
checkpoints through ``torch.load(weights_only=True)``; it is the only glassnet module that
imports torch, and only when one of its functions is called (``pip install 'glassnet[torch]'``).
"""
