"""Helpers shared by the golden fixture generators (see golden.py)."""
import json
import math
import os
import warnings

import numpy as np
import scipy

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


def labels_out(a):
    return [v if isinstance(v, str) else (int(v) if float(v).is_integer() else float(v))
            for v in (x.item() if hasattr(x, 'item') else x for x in a)]
