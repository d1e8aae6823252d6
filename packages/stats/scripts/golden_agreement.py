"""Fixtures for significance and agreement: significance.json, agreement.json (statsmodels,
scikit-learn, and definitions in numpy)."""
import numpy as np

from golden_common import labels_out, write


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
