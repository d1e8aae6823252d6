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
  * Fleiss' P-bar (observed agreement among many raters) and span agreement under overlap
    matching (Hripcsak & Rothschild 2005): their definitions, in numpy and plain Python.
  * the paired bootstrap: the same xoshiro128** stream as the TypeScript code, with numpy's
    percentile for the interval.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from golden_agreement import agreement_fixture, significance_fixture  # noqa: E402
from golden_drift import drift_fixture, ks_fixture  # noqa: E402
from golden_metrics import metrics_fixture  # noqa: E402
from golden_observed_agreement import observed_agreement_fixture  # noqa: E402

FIXTURES = {'ks': ks_fixture, 'drift': drift_fixture, 'metrics': metrics_fixture,
            'significance': significance_fixture, 'agreement': agreement_fixture,
            'observed-agreement': observed_agreement_fixture}

if __name__ == '__main__':
    names = sys.argv[1:] or list(FIXTURES)
    for name in names:
        FIXTURES[name]()
