"""glassnet.explain: why a model said what it said. Gradient attributions (saliency,
SmoothGrad, Integrated Gradients), Grad-CAM for CNNs, feature maps, first-layer filters,
attention maps, and permutation feature importance for tabular models. Each returns NumPy
arrays; ``glassnet.explain.plots`` draws them as PNGs.

>>> import glassnet
>>> from glassnet import nn
>>> _ = glassnet.manual_seed(0)
>>> model = nn.Linear(3, 2)
>>> saliency(model, glassnet.ones(1, 3), target=0, abs=False).tolist() == [
...     model.weight[0].tolist()]
True
"""

from glassnet.explain.activations import attention_maps, feature_maps, first_layer_filters
from glassnet.explain.gradcam import grad_cam
from glassnet.explain.gradients import integrated_gradients, saliency, smoothgrad
from glassnet.explain.permutation import permutation_importance

__all__ = [
    "saliency",
    "smoothgrad",
    "integrated_gradients",
    "grad_cam",
    "feature_maps",
    "first_layer_filters",
    "attention_maps",
    "permutation_importance",
]
