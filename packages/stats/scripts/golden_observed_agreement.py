"""Fixture for observed agreement and span agreement: observed-agreement.json.

Percent agreement is scikit-learn's accuracy_score between two raters; Fleiss' P-bar is its
definition in numpy (no library exposes it). Exact span F1, precision and recall are
scikit-learn's micro-averaged scores over the indicator matrix of all spans either annotator
marked; overlap matching has no library, so it is the definition of Hripcsak & Rothschild
(2005) in plain Python.
"""
import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from golden_common import labels_out, write


def p_bar(ratings):
    values = []
    for row in ratings:
        n = len(row)
        if n < 2:
            continue
        _, counts = np.unique(np.array(row, dtype=object).astype(str), return_counts=True)
        values.append((np.sum(counts ** 2) - n) / (n * (n - 1)))
    return float(np.mean(values))


def random_spans(rng, n_items, labels):
    items = []
    for _ in range(n_items):
        spans = set()
        for _ in range(int(rng.integers(0, 4))):
            start = int(rng.integers(0, 40))
            spans.add((start, start + int(rng.integers(1, 8)), str(rng.choice(labels))))
        items.append(spans)
    return items


def perturb(rng, items, labels):
    out = []
    for spans in items:
        moved = set()
        for (s, e, l) in spans:
            r = rng.random()
            if r < 0.5:
                moved.add((s, e, l))
            elif r < 0.7:
                moved.add((s + 1, e + 1, l))
            elif r < 0.85:
                moved.add((s, e, str(rng.choice(labels))))
        if rng.random() < 0.3:
            start = int(rng.integers(0, 40))
            moved.add((start, start + 3, str(rng.choice(labels))))
        out.append(moved)
    return out


def exact_scores(a, b):
    universe = sorted({(i,) + s for i, spans in enumerate(a) for s in spans} |
                      {(i,) + s for i, spans in enumerate(b) for s in spans})
    y_true = np.array([[1 if (u[1:] in a[u[0]]) else 0 for u in universe]])
    y_pred = np.array([[1 if (u[1:] in b[u[0]]) else 0 for u in universe]])
    kw = dict(average='micro', zero_division=0)
    return (float(precision_score(y_true, y_pred, **kw)), float(recall_score(y_true, y_pred, **kw)),
            float(f1_score(y_true, y_pred, **kw)))


def overlap_scores(a, b):
    def hit(x, y):
        return x[2] == y[2] and x[0] < y[1] and y[0] < x[1]
    a_total = sum(len(s) for s in a)
    b_total = sum(len(s) for s in b)
    a_matched = sum(1 for sa, sb in zip(a, b) for x in sa if any(hit(x, y) for y in sb))
    b_matched = sum(1 for sa, sb in zip(a, b) for y in sb if any(hit(x, y) for x in sa))
    p = b_matched / b_total if b_total else 0.0
    r = a_matched / a_total if a_total else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def observed_agreement_fixture():
    rng = np.random.default_rng(14)
    percent = []
    for name, cats, n, agree in [('three categories', ['a', 'b', 'c'], 60, 0.7),
                                 ('numeric scale', [1, 2, 3, 4, 5], 45, 0.5),
                                 ('rare agreement', ['x', 'y'], 30, 0.2)]:
        a = [cats[int(i)] for i in rng.integers(0, len(cats), n)]
        b = [x if rng.random() < agree else cats[int(rng.integers(0, len(cats)))] for x in a]
        percent.append({'name': name, 'a': labels_out(a), 'b': labels_out(b),
                        'agreement': float(accuracy_score(np.array(a, dtype=object).astype(str),
                                                          np.array(b, dtype=object).astype(str)))})
    pbar = []
    for name, cats, subjects in [('varying raters', ['p', 'q', 'r'], 25), ('scale', [1, 2, 3], 18)]:
        ratings = []
        for _ in range(subjects):
            m = int(rng.integers(1, 6))
            base = cats[int(rng.integers(0, len(cats)))]
            ratings.append([base if rng.random() < 0.6 else cats[int(rng.integers(0, len(cats)))]
                            for _ in range(m)])
        pbar.append({'name': name, 'ratings': [labels_out(r) for r in ratings], 'agreement': p_bar(ratings)})
    spans = []
    for name, n_items in [('forty items', 40), ('ten items', 10)]:
        labels = ['PER', 'ORG', 'LOC']
        a = random_spans(rng, n_items, labels)
        b = perturb(rng, a, labels)
        ep, er, ef = exact_scores(a, b)
        op, orr, of = overlap_scores(a, b)
        spans.append({'name': name,
                      'items': [{'a': [{'start': s, 'end': e, 'label': l} for (s, e, l) in sorted(sa)],
                                 'b': [{'start': s, 'end': e, 'label': l} for (s, e, l) in sorted(sb)]}
                                for sa, sb in zip(a, b)],
                      'exact': {'precision': ep, 'recall': er, 'f1': ef},
                      'overlap': {'precision': op, 'recall': orr, 'f1': of}})
    write('observed-agreement.json', {'percent': percent, 'pBar': pbar, 'spans': spans})
