#!/usr/bin/python3
"""Fixtures for isotonic regression and confidence-based performance estimation: estimation.json.

Run with Debian's interpreter: /usr/bin/python3 packages/stats/scripts/golden_estimation.py

Isotonic regression is scikit-learn's IsotonicRegression(increasing=True, out_of_bounds='clip').
CBPE follows NannyML's binary estimators, written here in numpy because NannyML is not packaged
for Debian: probabilities are calibrated with that isotonic regression fitted on the reference,
then TP = sum over predicted positives of p, FP = sum over predicted positives of 1 - p,
FN = sum over predicted negatives of p, TN = sum over predicted negatives of 1 - p.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from golden_common import fl, write  # noqa: E402


def isotonic_cases(rng):
    from sklearn.isotonic import IsotonicRegression
    cases = []

    def add(name, x, y, w, queries):
        model = IsotonicRegression(increasing=True, out_of_bounds='clip')
        model.fit(np.asarray(x, float), np.asarray(y, float), sample_weight=None if w is None else np.asarray(w, float))
        q = np.asarray(queries, float)
        cases.append({'name': name, 'x': fl(x), 'y': fl(y), 'weights': None if w is None else fl(w),
                      'queries': fl(q), 'predictions': fl(model.predict(q)),
                      'fitted': fl(model.predict(np.asarray(x, float)))})

    add('textbook', [1, 2, 3, 4, 5, 6], [1, 3, 2, 4, 3.5, 5], None, [0, 1, 1.5, 2.5, 3.7, 6, 9])
    add('already increasing', [0, 1, 2, 3], [0, 0.1, 0.5, 0.9], None, [-1, 0.5, 2.5, 4])
    add('decreasing data pools to one block', [1, 2, 3, 4], [4, 3, 2, 1], None, [0, 2, 5])
    add('single point', [0.3], [1], None, [0, 0.3, 1])
    x = np.round(rng.uniform(0, 1, 200), 2)  # rounding creates tied x values
    y = (rng.uniform(size=200) < x ** 1.5).astype(float)
    add('probabilities with ties, 0/1 targets', x, y, None, np.linspace(-0.1, 1.1, 25))
    x = rng.normal(size=80)
    y = 2 * x + rng.normal(size=80)
    w = rng.uniform(0.1, 3, size=80)
    add('weighted noisy line', x, y, w, np.linspace(-3, 3, 13))
    return cases


def cbpe_cases(rng):
    from sklearn.isotonic import IsotonicRegression
    cases = []

    def estimate(p, pred):
        tp = np.sum(np.where(pred == 1, p, 0))
        fp = np.sum(np.where(pred == 1, 1 - p, 0))
        fn = np.sum(np.where(pred == 0, p, 0))
        tn = np.sum(np.where(pred == 0, 1 - p, 0))
        n = len(p)
        return {'tp': tp, 'fp': fp, 'fn': fn, 'tn': tn, 'accuracy': (tp + tn) / n,
                'precision': tp / (tp + fp), 'recall': tp / (tp + fn), 'f1': tp / (tp + 0.5 * (fp + fn))}

    for name, n_ref, skew, shift in [('overconfident model, shifted window', 400, 2.0, 0.15),
                                     ('calibrated model, same population', 300, 1.0, 0.0)]:
        # True probability q; the model reports q ** (1 / skew), miscalibrated when skew != 1.
        q_ref = rng.beta(2, 2, n_ref)
        y_ref = (rng.uniform(size=n_ref) < q_ref).astype(int)
        s_ref = np.round(q_ref ** (1 / skew), 3)
        model = IsotonicRegression(increasing=True, out_of_bounds='clip').fit(s_ref, y_ref)
        windows = []
        for k in range(3):
            q = np.clip(rng.beta(2, 2, 150) + shift * k, 0, 1)
            s = np.round(q ** (1 / skew), 3)
            y = (rng.uniform(size=150) < q).astype(int)
            pred = (s >= 0.5).astype(int)
            p = model.predict(s)
            realised_acc = float(np.mean(pred == y))
            windows.append({'scores': fl(s), 'predictions': [int(v) for v in pred],
                            'calibrated': fl(p), 'estimate': estimate(p, pred),
                            'realisedAccuracy': realised_acc})
        cases.append({'name': name, 'referenceScores': fl(s_ref), 'referenceTruth': [int(v) for v in y_ref],
                      'windows': windows})
    return cases


def estimation_fixture():
    import sklearn
    rng = np.random.default_rng(20261201)
    write('estimation.json', {'sklearn': sklearn.__version__, 'isotonic': isotonic_cases(rng),
                              'cbpe': cbpe_cases(rng)})


if __name__ == '__main__':
    estimation_fixture()
