"""The doctor's thresholds, each with why: deliberately far from what healthy runs show
(checked on the bundled recipes, see tests/test_doctor_cases.py), since a doctor that cries wolf
is not read."""

VANISHING_RATIO = 1e-3  # first-layer / last-layer RMS gradient
EXPLODING_RATIO = 1e3  # the same ratio the other way, or growth of the gradient norm
EXPLODING_NORM = 1e3  # a global gradient norm no healthy small model reaches
DEAD_FRACTION = 0.9  # most of a ReLU layer's units silent on a whole batch (healthy nets
# can have many: the digits CNN has ~75% in its dense layer and still reaches 98%)
SATURATED_FRACTION = 0.5
TOO_LOW_UPDATE = 1e-3  # |dW|/|W| per step, with a loss that did not move: 1e-3..1e-2 is usual
NO_PROGRESS = 0.02  # relative loss decrease (first to last epoch) below which it "did not move"
DIVERGED = 3.0  # loss this many times its starting value
UNSCALED_RMS = 20.0  # a feature's root mean square above which it is "unscaled"
IMBALANCE = 9.0  # largest class / smallest class (90/10 and worse)
LEAK_SHARED = 0.05  # fraction of validation rows also in the training data
