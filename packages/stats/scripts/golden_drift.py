"""Fixtures for the drift tests: ks.json and drift.json (scipy)."""
import math

import numpy as np
import scipy.special
import scipy.stats as st

from golden_common import fl, write


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
        ('infinities', [[-math.inf, 0.5, 1.0, 2.0, math.inf], [0.0, 0.7, 3.0, math.inf, math.inf, 4.0]]),
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
