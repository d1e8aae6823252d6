"""Fixtures for the metrics: metrics.json (scikit-learn, and definitions in numpy)."""
import math

import numpy as np

from golden_common import fl, labels_out, write


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
