#!/usr/bin/python3
"""Reference values for @plumb/stats, written as JSON fixtures under packages/stats/fixtures/.

Run with Debian's interpreter (python3-scipy 1.10, python3-sklearn 1.2, python3-statsmodels 0.13):

    /usr/bin/python3 packages/stats/scripts/golden.py

Every fixture embeds its own inputs, so the TypeScript tests need nothing but the JSON. Inputs
are seeded (numpy default_rng) and rounded to a few decimals where that keeps the files small;
rounding also creates ties, which several statistics must handle.

Where no trusted library exists on this machine the reference is computed here directly from
the published definition, in plain numpy, and says so:
  * Krippendorff's alpha (no krippendorff package): the coincidence-matrix formula of
    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability".
  * fairlearn's demographic parity and equalized odds differences (no fairlearn package):
    max - min of per-group selection rate / TPR / FPR, with 0/0 taken as 0 as fairlearn does.
  * expected calibration error: its textbook definition (equal-width bins, weighted by count).
  * the paired bootstrap: the same mulberry32 stream as the TypeScript code, with numpy's
    percentile for the interval.
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import scipy
import scipy.special
import scipy.stats as st

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')
warnings.simplefilter('ignore')


def encode(v):
    """JSON has no infinities or NaN: they travel as the strings 'Infinity', '-Infinity', 'NaN'."""
    if isinstance(v, dict):
        return {k: encode(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return 'NaN'
        if math.isinf(v):
            return 'Infinity' if v > 0 else '-Infinity'
        return v
    if isinstance(v, np.integer):
        return int(v)
    return v


def write(name, payload):
    payload = encode({'generator': 'scripts/golden.py', 'scipy': scipy.__version__, **payload})
    path = os.path.join(OUT, name)
    with open(path, 'w') as f:
        json.dump(payload, f, separators=(',', ':'), allow_nan=False)
        f.write('\n')
    print(f'{name}: {os.path.getsize(path)} bytes')


def fl(a):
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


# ---------------------------------------------------------------- Kolmogorov-Smirnov

def ks_fixture():
    rng = np.random.default_rng(20240601)
    cases = []

    def add(name, x, y, methods=('auto', 'exact', 'asymp')):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        results = {}
        for method in methods:
            if method == 'asymp' and len(x) == 1 and len(y) == 1:
                continue  # scipy gives NaN: effective n rounds to 0
            r = st.ks_2samp(x, y, method=method)
            results[method] = {'statistic': float(r.statistic), 'pValue': float(r.pvalue)}
        cases.append({'name': name, 'ref': fl(x), 'cur': fl(y), 'results': results})

    add('n=1,1 equal', [0.5], [0.5])
    add('n=1,1', [0.1], [0.7])
    add('n=1,2', [0.3], [0.1, 0.9])
    add('n=2,3', [0.0, 1.0], [2.0, 3.0, 4.0])
    add('n=3,3 disjoint', [1, 2, 3], [4, 5, 6])
    add('n=3,3 interleaved', [1, 3, 5], [2, 4, 6])
    add('n=1,5', [10.0], rng.normal(size=5).round(3))
    add('all equal', [2.0] * 6, [2.0] * 9)
    add('ties heavy', rng.integers(0, 4, 40), rng.integers(0, 5, 35))
    add('identical samples', [1, 2, 2, 3, 5], [1, 2, 2, 3, 5])
    add('infinities', [-math.inf, 0.0, 1.0, math.inf], [0.5, 2.0, math.inf])
    for n1, n2 in [(5, 7), (8, 8), (10, 10), (20, 30), (50, 50), (64, 48), (100, 80), (200, 300),
                   (333, 334), (1000, 1000), (997, 1013), (400, 1200)]:
        add(f'normal {n1},{n2}', rng.normal(size=n1).round(4), rng.normal(size=n2).round(4))
    for n1, n2, shift in [(30, 40, 1.0), (100, 100, 0.8), (500, 700, 0.5), (2000, 1500, 0.3),
                          (250, 250, 2.5)]:
        add(f'shift {shift} {n1},{n2}', rng.normal(size=n1).round(4),
            (rng.normal(size=n2) + shift).round(4))
    # auto switches to the asymptotic method above 10000 values in either sample.
    add('large auto', rng.normal(size=10500).round(2), (rng.normal(size=4000) + 0.05).round(2),
        methods=('auto',))

    # The Kolmogorov distribution itself, across every branch scipy's kolmogn chooses.
    kstwo = []
    ns = [1, 2, 3, 5, 10, 25, 60, 100, 140, 141, 500, 1000, 5000, 20000, 100000, 100001,
          400000, 2000000]
    for n in ns:
        xs = set([0.5 / n, 0.75 / n, 1.0 / n, 1.5 / n, 0.5, 0.6, 1 - 1.0 / n, 1 - 0.5 / n])
        for z in [0.05, 0.2, 0.4, 0.6, 0.8, 0.87, 1.0, 1.2, 1.5, 2.0, 3.0, 4.5, 6.0, 10.0, 14.0]:
            xs.add(z / math.sqrt(n))
        for x in sorted(xs):
            if 0 < x < 1:
                kstwo.append([n, float(x), float(st.kstwo.sf(x, n))])
    smirnov = []
    for n in [1, 2, 5, 10, 50, 200, 1012, 1013, 5000, 100000, 1000000, 1000001]:
        for x in [0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0 / n, 2.0 / n]:
            if 0 <= x <= 1:
                smirnov.append([n, x, float(scipy.special.smirnov(n, x))])
    write('ks.json', {'cases': cases, 'kstwoSf': kstwo, 'smirnovSf': smirnov})


# ---------------------------------------------------------------- other drift statistics

def drift_fixture():
    rng = np.random.default_rng(20240602)

    wass = []
    for name, u, v in [
        ('n=1,1', [0.0], [1.0]),
        ('n=1,3', [2.5], [0.0, 1.0, 7.0]),
        ('equal', [1, 2, 3], [1, 2, 3]),
        ('ties', rng.integers(0, 5, 30), rng.integers(0, 6, 45)),
        ('normal 200,150', rng.normal(size=200).round(4), (rng.normal(size=150) * 1.5).round(4)),
        ('normal 1000,1000', rng.normal(size=1000).round(3), (rng.normal(size=1000) + 0.2).round(3)),
        ('negative and wide', rng.uniform(-1e3, 1e3, 50).round(2), rng.uniform(-10, 10, 60).round(2)),
    ]:
        wass.append({'name': name, 'u': fl(u), 'v': fl(v),
                     'value': float(st.wasserstein_distance(u, v))})

    anderson = []
    for name, samples in [
        ('k=2 small', [[1.0, 2.0], [3.0, 4.0]]),
        ('k=2 ties', [rng.integers(0, 4, 20), rng.integers(0, 4, 25)]),
        ('k=2 normal', [rng.normal(size=50).round(3), rng.normal(size=60).round(3)]),
        ('k=2 shifted', [rng.normal(size=80).round(3), (rng.normal(size=70) + 0.6).round(3)]),
        ('k=2 far apart', [rng.normal(size=40).round(3), (rng.normal(size=40) + 4).round(3)]),
        ('k=3 normal', [rng.normal(size=30).round(3), rng.normal(size=35).round(3),
                        rng.normal(size=25).round(3)]),
        ('k=3 mild shift', [rng.normal(size=60).round(2), (rng.normal(size=60) + 0.35).round(2),
                            rng.normal(size=60).round(2)]),
        ('k=4 ties', [rng.integers(0, 6, 15), rng.integers(0, 6, 18), rng.integers(1, 7, 20),
                      rng.integers(0, 6, 12)]),
        ('k=5 unequal', [rng.normal(size=n).round(3) for n in (5, 10, 20, 40, 80)]),
    ]:
        r = st.anderson_ksamp([np.asarray(x, dtype=float) for x in samples], midrank=True)
        anderson.append({'name': name, 'samples': [fl(x) for x in samples],
                         'statistic': float(r.statistic),
                         'criticalValues': fl(r.critical_values),
                         'significanceLevel': float(r.significance_level)})

    # Quantile bins (numpy default 'linear' quantiles), histograms closed on the left, and PSI.
    # PSI has no library implementation; the reference is its definition written out in numpy.
    psi = []
    for name, ref, cur, bins in [
        ('normal 10 bins', rng.normal(size=500).round(3), (rng.normal(size=400) + 0.3).round(3), 10),
        ('uniform 5 bins', rng.uniform(size=101).round(4), rng.uniform(size=99).round(4), 5),
        ('ties merge edges', rng.integers(0, 4, 200), rng.integers(0, 5, 150), 10),
        ('empty current bins', rng.normal(size=300).round(3), (rng.normal(size=80) + 3).round(3), 10),
        ('tiny ref n=1', [3.0], [1.0, 3.0, 5.0], 4),
        ('tiny ref n=3', [1.0, 2.0, 4.0], [0.0, 2.0, 2.0, 9.0], 3),
        ('20 bins', rng.exponential(size=1000).round(3), rng.exponential(scale=1.2, size=800).round(3), 20),
    ]:
        ref = np.asarray(ref, dtype=float)
        cur = np.asarray(cur, dtype=float)
        qs = np.arange(1, bins) / bins
        edges = np.unique(np.quantile(ref, qs))
        rc = np.bincount(np.searchsorted(edges, ref, side='right'), minlength=len(edges) + 1)
        cc = np.bincount(np.searchsorted(edges, cur, side='right'), minlength=len(edges) + 1)
        eps = 1e-4
        p = rc / len(ref)
        q = cc / len(cur)
        p = np.where(p == 0, eps, p)
        q = np.where(q == 0, eps, q)
        value = float(np.sum((q - p) * np.log(q / p)))
        psi.append({'name': name, 'ref': fl(ref), 'cur': fl(cur), 'bins': bins, 'edges': fl(edges),
                    'refCounts': [int(c) for c in rc], 'curCounts': [int(c) for c in cc],
                    'value': value})

    from scipy.spatial.distance import jensenshannon
    js = []
    for name, p, q, base in [
        ('identical', [1, 2, 3], [1, 2, 3], 2),
        ('disjoint', [1, 0], [0, 1], 2),
        ('counts', [10, 20, 30, 40], [40, 30, 20, 10], 2),
        ('natural log', [0.1, 0.2, 0.7], [0.3, 0.3, 0.4], math.e),
        ('base 10 with zeros', [0, 5, 5, 0, 1], [1, 0, 5, 5, 0], 10),
        ('random 50', rng.uniform(size=50).round(4), rng.uniform(size=50).round(4), 2),
    ]:
        js.append({'name': name, 'p': fl(p), 'q': fl(q), 'base': base,
                   'value': float(jensenshannon(np.asarray(p, float), np.asarray(q, float), base=base))})

    chi2 = []
    for name, table in [
        ('2x2', [[10, 20], [30, 25]]),
        ('2x2 small', [[1, 4], [3, 0]]),
        ('2x2 zero column dropped', [[5, 0, 7], [9, 0, 3]]),
        ('3x3', [[12, 5, 9], [7, 15, 3], [4, 6, 20]]),
        ('zero row and column', [[0, 0, 0, 0], [3, 8, 0, 2], [6, 1, 0, 9]]),
        ('2x5 drift counts', [[120, 340, 80, 45, 15], [100, 310, 130, 40, 30]]),
        ('huge counts', [[123456, 234567], [345678, 456789]]),
        ('strong dependence', [[500, 5], [4, 600]]),
        ('random 4x6', rng.integers(0, 40, (4, 6))),
        ('single row', [[3, 4, 5]]),
    ]:
        t = np.asarray(table, dtype=float)
        reduced = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
        entry = {'name': name, 'table': [fl(r) for r in t]}
        for corr in (False, True):
            stat, pval, dof, _ = st.chi2_contingency(reduced, correction=corr)
            entry['corrected' if corr else 'plain'] = {'statistic': float(stat), 'pValue': float(pval),
                                                      'dof': int(dof)}
        chi2.append(entry)

    special = {
        'chi2Sf': [[x, k, float(st.chi2.sf(x, k))]
                   for k in (1, 2, 3, 5, 10, 30, 101, 1000, 9801)
                   for x in (1e-6, 0.01, 0.5, 1, 2.5, k * 0.5, k, k * 1.3, k + 20, k * 3 + 50, 400)],
        'gammaQ': [[a, x, float(scipy.special.gammaincc(a, x))]
                   for a in (0.5, 1, 1.5, 7.3, 12, 50.5, 400, 5000)
                   for x in (0.001, 0.3, 1, 5, a * 0.9, a, a * 1.1, a + 3 * math.sqrt(a), 2 * a + 30)],
        'logGamma': [[a, float(scipy.special.gammaln(a))]
                     for a in (1e-8, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 7.7, 9.99, 10, 10.5, 33, 171.6, 1e4, 1e7)],
        'binomCdfHalf': [[k, n, float(st.binom.cdf(k, n, 0.5))]
                         for n in (1, 2, 3, 10, 25, 100, 1000, 2000, 50000)
                         for k in sorted(set([0, 1, n // 4, n // 2 - 1, n // 2, n - 1]))
                         if 0 <= k <= n],
    }
    write('drift.json', {'wasserstein': wass, 'anderson': anderson, 'psi': psi, 'jensenShannon': js,
                         'chi2Contingency': chi2, 'special': special})


# ---------------------------------------------------------------- classification and regression

def labels_out(a):
    return [v if isinstance(v, str) else (int(v) if float(v).is_integer() else float(v))
            for v in (x.item() if hasattr(x, 'item') else x for x in a)]


def metrics_fixture():
    import sklearn
    import sklearn.metrics as skm
    rng = np.random.default_rng(20240603)

    def noisy(truth, classes, flip):
        pred = np.array(truth, dtype=object)
        mask = rng.uniform(size=len(truth)) < flip
        pred[mask] = rng.choice(classes, size=mask.sum())
        return list(pred)

    classification = []
    cases = []
    t = list(rng.integers(0, 2, 60))
    cases.append(('binary 0/1', t, noisy(t, [0, 1], 0.3), None))
    t = list(rng.integers(0, 2, 9))
    cases.append(('binary 0/1 small', t, noisy(t, [0, 1], 0.5), None))
    t = list(rng.choice(['cat', 'dog'], 40))
    cases.append(('binary strings', t, noisy(t, ['cat', 'dog'], 0.35), 'dog'))
    t = list(rng.integers(0, 4, 120))
    cases.append(('4 classes', t, noisy(t, [0, 1, 2, 3], 0.4), None))
    t = list(rng.choice(['a', 'b', 'c', 'd', 'e'], 80, p=[0.5, 0.2, 0.15, 0.1, 0.05]))
    cases.append(('5 string classes imbalanced', t, noisy(t, ['a', 'b', 'c', 'd', 'e'], 0.5), None))
    cases.append(('class never predicted', [0, 1, 2, 2, 1, 0, 2], [0, 0, 2, 2, 0, 0, 2], None))
    cases.append(('class only predicted', [0, 0, 1, 1], [0, 2, 1, 2], None))
    cases.append(('all positives predicted negative', [1, 1, 0, 0], [0, 0, 0, 0], None))
    cases.append(('single class', [1, 1, 1], [1, 1, 1], None))
    cases.append(('negative labels', [-1, 1, 1, -1, 1], [-1, -1, 1, 1, 1], None))
    for name, truth, pred, pos in cases:
        truth = labels_out(truth)
        pred = labels_out(pred)
        n_classes = len(set(truth) | set(pred))
        entry = {'name': name, 'truth': truth, 'pred': pred,
                 'accuracy': float(skm.accuracy_score(truth, pred))}
        cm_labels = sorted(set(truth) | set(pred))
        entry['confusion'] = {'labels': cm_labels,
                              'matrix': skm.confusion_matrix(truth, pred, labels=cm_labels).tolist()}
        averages = ['macro', 'micro', 'weighted'] + (['binary'] if n_classes <= 2 else [])
        prf = {}
        for avg in averages:
            kw = {'average': avg, 'zero_division': 0}
            if avg == 'binary' and pos is not None:
                kw['pos_label'] = pos
            p, r, f, _ = skm.precision_recall_fscore_support(truth, pred, **kw)
            prf[avg] = {'precision': float(p), 'recall': float(r), 'f1': float(f)}
        entry['prf'] = prf
        entry['positiveLabel'] = pos
        classification.append(entry)

    # Confusion matrix with explicit labels, some absent, some data outside them.
    explicit = {'truth': [2, 0, 2, 2, 0, 1], 'pred': [0, 0, 2, 2, 0, 2], 'labels': [2, 0, 5]}
    explicit['matrix'] = skm.confusion_matrix(explicit['truth'], explicit['pred'],
                                              labels=explicit['labels']).tolist()

    roc = []
    for name, truth, scores in [
        ('no ties', rng.integers(0, 2, 50), rng.normal(size=50)),
        ('heavy ties', rng.integers(0, 2, 200), rng.integers(0, 5, 200).astype(float)),
        ('all tied', [0, 1, 0, 1, 1], [0.5] * 5),
        ('perfect', [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]),
        ('inverted', [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]),
        ('string labels', list(rng.choice(['neg', 'pos'], 30)), rng.uniform(size=30).round(2)),
        ('imbalanced', (rng.uniform(size=300) < 0.05).astype(int), rng.uniform(size=300).round(3)),
        ('minimal', [0, 1], [0.3, 0.3]),
    ]:
        truth = labels_out(truth)
        scores = fl(scores)
        roc.append({'name': name, 'truth': truth, 'scores': scores,
                    'value': float(skm.roc_auc_score(truth, scores))})

    logloss = []
    t = list(rng.integers(0, 2, 40))
    p = rng.uniform(size=40).round(3)
    p[:3] = [0.0, 1.0, 1.0]
    logloss.append({'name': 'binary with 0 and 1 clipped', 'truth': labels_out(t), 'probs': fl(p),
                    'value': float(skm.log_loss(t, p))})
    t = list(rng.choice(['x', 'y', 'z'], 30))
    raw = rng.uniform(size=(30, 3))
    probs = (raw / raw.sum(axis=1, keepdims=True)).round(4)
    logloss.append({'name': '3 classes, rows not summing to 1 exactly', 'truth': labels_out(t),
                    'probs': [fl(r) for r in probs], 'value': float(skm.log_loss(t, probs))})
    t = ['b', 'b', 'b']
    probs = [[0.2, 0.5, 0.3], [0.1, 0.8, 0.1], [0.0, 1.0, 0.0]]
    logloss.append({'name': 'explicit labels, one class present', 'truth': t, 'probs': probs,
                    'labels': ['a', 'b', 'c'],
                    'value': float(skm.log_loss(t, probs, labels=['a', 'b', 'c']))})
    t = [0, 1, 1, 0]
    p = [0.2, 0.7, 0.6, 0.1]
    logloss.append({'name': 'eps 1e-3', 'truth': t, 'probs': p, 'eps': 1e-3,
                    'value': float(skm.log_loss(t, p, eps=1e-3))})

    brier = []
    for name, truth, probs, pos in [
        ('binary', rng.integers(0, 2, 50), rng.uniform(size=50).round(3), None),
        ('strings', list(rng.choice(['no', 'yes'], 20)), rng.uniform(size=20).round(2), 'yes'),
        ('single class', [1, 1, 1], [0.9, 0.5, 1.0], None),
    ]:
        truth = labels_out(truth)
        kw = {} if pos is None else {'pos_label': pos}
        brier.append({'name': name, 'truth': truth, 'probs': fl(probs), 'positiveLabel': pos,
                      'value': float(skm.brier_score_loss(truth, probs, **kw))})

    regression = []
    for name, truth, pred in [
        ('random', rng.normal(size=100).round(4), rng.normal(size=100).round(4)),
        ('good fit', np.arange(50) * 0.5, np.arange(50) * 0.5 + rng.normal(scale=0.1, size=50).round(3)),
        ('two values', [1.0, 2.0], [1.5, 1.5]),
        ('constant truth, perfect', [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]),
        ('constant truth, imperfect', [3.0, 3.0, 3.0], [3.0, 2.0, 3.0]),
        ('large magnitude', rng.normal(1e6, 10, 30).round(2), rng.normal(1e6, 10, 30).round(2)),
    ]:
        regression.append({'name': name, 'truth': fl(truth), 'pred': fl(pred),
                           'mae': float(skm.mean_absolute_error(truth, pred)),
                           'rmse': float(math.sqrt(skm.mean_squared_error(truth, pred))),
                           'r2': float(skm.r2_score(truth, pred))})

    # Expected calibration error: no library reference; its definition in numpy. Bin b is
    # [b/B, (b+1)/B), the last closed, i.e. searchsorted over the inner edges b/B (b = 1..B-1).
    ece = []
    for name, probs, labels, bins in [
        ('random 10 bins', rng.uniform(size=200).round(3), rng.integers(0, 2, 200), 10),
        ('calibrated-ish 15 bins', None, None, 15),
        ('values on edges', [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 0.6, 0.4], [0, 0, 1, 0, 1, 1, 1, 1, 0, 0], 10),
        ('one bin', [0.2, 0.4, 0.9], [0, 1, 1], 1),
    ]:
        if probs is None:
            probs = rng.uniform(size=500).round(3)
            labels = (rng.uniform(size=500) < probs).astype(int)
        probs = np.asarray(probs, dtype=float)
        labels = np.asarray(labels, dtype=int)
        edges = np.arange(1, bins) / bins
        idx = np.searchsorted(edges, probs, side='right')
        value = 0.0
        for b in range(bins):
            m = idx == b
            if m.any():
                value += m.sum() / len(probs) * abs(probs[m].mean() - labels[m].mean())
        ece.append({'name': name, 'probs': fl(probs), 'labels': [int(v) for v in labels],
                    'bins': bins, 'value': float(value)})

    # fairlearn is not installed: its definitions written out (selection rate, TPR and FPR per
    # group, 0/0 -> 0 as in its row-normalised confusion matrix; difference = max - min).
    fairness = []
    for name, truth, pred, group in [
        ('two groups', rng.integers(0, 2, 60), rng.integers(0, 2, 60), rng.choice(['a', 'b'], 60)),
        ('three numeric groups', rng.integers(0, 2, 90), rng.integers(0, 2, 90), rng.integers(0, 3, 90)),
        ('group without positives', [0, 0, 1, 1, 0, 1], [0, 1, 1, 0, 0, 1], ['x', 'x', 'y', 'y', 'x', 'y']),
        ('single group', [0, 1, 1], [1, 1, 0], ['g', 'g', 'g']),
    ]:
        truth = np.asarray(truth)
        pred = np.asarray(pred)
        group = np.asarray(group)
        sel, tpr, fpr = [], [], []
        for g in np.unique(group):
            m = group == g
            sel.append(np.mean(pred[m] == 1))
            pos = m & (truth == 1)
            neg = m & (truth == 0)
            tpr.append(np.sum(pred[pos] == 1) / pos.sum() if pos.sum() else 0.0)
            fpr.append(np.sum(pred[neg] == 1) / neg.sum() if neg.sum() else 0.0)
        fairness.append({'name': name, 'truth': labels_out(truth), 'pred': labels_out(pred),
                         'group': labels_out(group),
                         'demographicParity': float(max(sel) - min(sel)),
                         'equalizedOdds': float(max(max(tpr) - min(tpr), max(fpr) - min(fpr)))})

    write('metrics.json', {'sklearn': sklearn.__version__, 'classification': classification,
                           'confusionExplicit': explicit, 'rocAuc': roc, 'logLoss': logloss,
                           'brier': brier, 'regression': regression, 'ece': ece,
                           'fairness': fairness})


# ---------------------------------------------------------------- significance

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF


class Xoshiro128:
    """xoshiro128** seeded by SplitMix64, the generator of src/significance/prng.ts."""

    def __init__(self, seed):
        def splitmix(state):
            state = (state + 0x9E3779B97F4A7C15) & MASK64
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            return state, z ^ (z >> 31)
        st1, a = splitmix(seed)
        _, b = splitmix(st1)
        self.s = [a & MASK32, a >> 32, b & MASK32, b >> 32]

    def next_uint32(self):
        s = self.s
        x = (s[1] * 5) & MASK32
        result = ((((x << 7) | (x >> 25)) & MASK32) * 9) & MASK32
        t = (s[1] << 9) & MASK32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 11) | (s[3] >> 21)) & MASK32
        return result

    def next_int(self, n):
        limit = 2**32 - (2**32 % n)
        while True:
            x = self.next_uint32()
            if x < limit:
                return x % n


def significance_fixture():
    import statsmodels
    import sklearn.metrics as skm
    from statsmodels.stats.contingency_tables import mcnemar
    rng = np.random.default_rng(20240604)

    mc = []
    for table in [[[10, 5], [3, 12]], [[0, 0], [0, 7]], [[4, 1], [1, 4]], [[20, 0], [9, 30]],
                  [[100, 40], [60, 100]], [[1000, 513], [432, 998]], [[5, 25], [2, 5]],
                  [[0, 1200], [1100, 0]], [[3, 0], [1, 3]]]:
        entry = {'table': table}
        for exact in (True, False):
            for correction in (True, False):
                b, c = table[0][1], table[1][0]
                if not exact and b + c == 0:
                    continue
                r = mcnemar(np.asarray(table), exact=exact, correction=correction)
                entry[f'{"exact" if exact else "chi2"}{"Corrected" if correction else ""}'] = {
                    'statistic': float(r.statistic), 'pValue': float(r.pvalue)}
        mc.append(entry)

    # First outputs from the reference state {1, 2, 3, 4} and from seeded states.
    def raw(state, k):
        g = Xoshiro128(0)
        g.s = list(state)
        return [g.next_uint32() for _ in range(k)]
    def seeded(seed, k):
        g = Xoshiro128(seed)
        return [g.next_uint32() for _ in range(k)]
    prng = {'state1234': raw([1, 2, 3, 4], 8),
            'seeds': {str(seed): seeded(seed, 6) for seed in (0, 1, 42, 2**32 - 1)}}

    boot = []
    for name, n, iterations, seed, confidence, metric in [
        ('accuracy 50 items', 50, 200, 7, 0.95, 'accuracy'),
        ('accuracy 200 items 90%', 200, 300, 123456789, 0.9, 'accuracy'),
        ('macro f1 120 items', 120, 150, 2024, 0.95, 'macroF1'),
        ('accuracy 5 items', 5, 100, 4294967295, 0.8, 'accuracy'),
    ]:
        truth = rng.integers(0, 3, n)
        a = np.where(rng.uniform(size=n) < 0.7, truth, rng.integers(0, 3, n))
        b = np.where(rng.uniform(size=n) < 0.8, truth, rng.integers(0, 3, n))
        if metric == 'accuracy':
            f = skm.accuracy_score
        else:
            def f(t, p):
                return skm.f1_score(t, p, average='macro', zero_division=0)
        g = Xoshiro128(seed)
        deltas = []
        for _ in range(iterations):
            idx = np.array([g.next_int(n) for _ in range(n)])
            deltas.append(f(truth[idx], b[idx]) - f(truth[idx], a[idx]))
        alpha = (1 - confidence) / 2
        low, high = np.quantile(np.asarray(deltas), [alpha, 1 - alpha])
        boot.append({'name': name, 'metric': metric, 'truth': labels_out(truth), 'predA': labels_out(a),
                     'predB': labels_out(b), 'iterations': iterations, 'seed': seed,
                     'confidence': confidence, 'delta': float(f(truth, b) - f(truth, a)),
                     'low': float(low), 'high': float(high)})

    write('significance.json', {'statsmodels': statsmodels.__version__, 'mcnemar': mc, 'prng': prng,
                                'pairedBootstrap': boot})


# ---------------------------------------------------------------- agreement

def krippendorff_alpha(data, level):
    """Krippendorff's alpha by the coincidence-matrix formula of Krippendorff (2011), in numpy.

    data: coders x units, np.nan for a missing value. There is no krippendorff package here, so
    this direct implementation of the published formula is the reference.
    """
    data = np.asarray(data, dtype=float)
    vals = np.unique(data[~np.isnan(data)])
    pos = {v: i for i, v in enumerate(vals)}
    o = np.zeros((len(vals), len(vals)))
    for u in range(data.shape[1]):
        col = data[:, u]
        col = col[~np.isnan(col)]
        m = len(col)
        if m < 2:
            continue
        for i in range(m):
            for j in range(m):
                if i != j:
                    o[pos[col[i]], pos[col[j]]] += 1.0 / (m - 1)
    nc = o.sum(axis=1)
    n = nc.sum()
    d = np.zeros_like(o)
    for a in range(len(vals)):
        for b in range(len(vals)):
            c, k = vals[a], vals[b]
            if a == b:
                continue
            if level == 'nominal':
                d[a, b] = 1.0
            elif level == 'ordinal':
                lo, hi = min(a, b), max(a, b)
                d[a, b] = (nc[lo:hi + 1].sum() - (nc[a] + nc[b]) / 2) ** 2
            elif level == 'interval':
                d[a, b] = (c - k) ** 2
            else:
                d[a, b] = ((c - k) / (c + k)) ** 2
    return float(1 - (n - 1) * (o * d).sum() / (np.outer(nc, nc) * d).sum())


def agreement_fixture():
    import sklearn.metrics as skm
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    rng = np.random.default_rng(20240605)

    cohen = []
    for name, a, b, labels in [
        ('binary', rng.integers(0, 2, 40), rng.integers(0, 2, 40), None),
        ('5 ordinal categories', rng.integers(1, 6, 100), None, None),
        ('strings', rng.choice(['low', 'mid', 'high'], 60), None, None),
        ('explicit label order', rng.choice(['low', 'mid', 'high'], 60), None, ['low', 'mid', 'high']),
        ('category used by one rater only', [0, 1, 2, 1, 0], [0, 1, 1, 1, 0], None),
        ('perfect agreement', [1, 2, 3, 1], [1, 2, 3, 1], None),
        ('labels with an unused category', [1, 2, 2, 1], [1, 2, 1, 1], [1, 2, 3]),
    ]:
        a = labels_out(a)
        if b is None:  # second rater: mostly agrees, sometimes off by one category
            cats = sorted(set(a))
            b = [cats[min(max(cats.index(v) + int(rng.choice([-1, 0, 0, 0, 1])), 0), len(cats) - 1)]
                 for v in a]
        b = labels_out(b)
        entry = {'name': name, 'a': a, 'b': b, 'labels': labels}
        for w in (None, 'linear', 'quadratic'):
            entry[w or 'none'] = float(skm.cohen_kappa_score(a, b, labels=labels, weights=w))
        cohen.append(entry)

    fleiss = []
    for name, ratings in [
        ('6 raters 3 categories', rng.integers(0, 3, (20, 6))),
        ('3 raters strings', rng.choice(['a', 'b', 'c', 'd'], (15, 3), p=[0.4, 0.3, 0.2, 0.1])),
        ('2 raters high agreement', np.repeat(rng.integers(0, 4, (25, 1)), 2, axis=1)),
        ('unanimous subjects', [[1, 1, 1], [2, 2, 2], [3, 3, 3], [1, 1, 2]]),
    ]:
        ratings = np.asarray(ratings)
        table, cats = aggregate_raters(ratings)
        fleiss.append({'name': name, 'ratings': [labels_out(r) for r in ratings],
                       'table': table.tolist(), 'value': float(fleiss_kappa(table, method='fleiss'))})
    table, _ = aggregate_raters(rng.integers(0, 4, (12, 5)), n_cat=5)  # category 4 never used
    fleiss.append({'name': 'table with empty category', 'table': table.tolist(),
                   'value': float(fleiss_kappa(table, method='fleiss'))})

    kripp = []
    for name, data, levels in [
        ('4 coders x 20 units, 10% missing', None, ('nominal', 'ordinal', 'interval', 'ratio')),
        ('3 coders, wide interval values', None, ('interval', 'ratio', 'ordinal')),
        ('2 coders no missing', rng.integers(1, 4, (2, 30)).astype(float), ('nominal', 'ordinal', 'interval', 'ratio')),
        ('units with a single value ignored', [[1, 2, np.nan, 4, 5], [1, np.nan, 3, 4, 4], [np.nan, np.nan, 3, 4, 5]],
         ('nominal', 'interval')),
    ]:
        if data is None and name.startswith('4 coders'):
            truth = rng.integers(1, 6, 20)
            data = np.array([np.where(rng.uniform(size=20) < 0.8, truth, rng.integers(1, 6, 20))
                             for _ in range(4)]).astype(float)
            data[rng.uniform(size=data.shape) < 0.1] = np.nan
        elif data is None:
            truth = rng.uniform(0, 100, 25).round(1)
            data = np.array([truth + rng.normal(scale=8, size=25).round(1) for _ in range(3)])
            data = np.abs(data)
            data[0, 3] = np.nan
        data = np.asarray(data, dtype=float)
        kripp.append({'name': name, 'data': [[None if np.isnan(v) else float(v) for v in row] for row in data],
                      'alpha': {lv: krippendorff_alpha(data, lv) for lv in levels}})

    write('agreement.json', {'cohenKappa': cohen, 'fleiss': fleiss, 'krippendorff': kripp})


FIXTURES = {'ks': ks_fixture, 'drift': drift_fixture, 'metrics': metrics_fixture,
            'significance': significance_fixture, 'agreement': agreement_fixture}

if __name__ == '__main__':
    names = sys.argv[1:] or list(FIXTURES)
    for name in names:
        FIXTURES[name]()
