"""Generate golden reference values with DADApy 0.3.4 (NOT run in the project env).

Reference implementation: DADApy 0.3.4 (https://pypi.org/project/dadapy/0.3.4/).
DADApy 0.3.4 needs numpy<2 and is built from source, so it lives in a throw-away
virtual environment, never in the project's own environment.

Recreate the venv and regenerate the goldens (Python 3.11 + gcc, PyPI only):

    python3 -m venv /tmp/dadapy-venv
    /tmp/dadapy-venv/bin/pip install --upgrade pip
    /tmp/dadapy-venv/bin/pip install "numpy<2" "dadapy==0.3.4"
    # versions that resolution gave when the committed goldens were made:
    #   dadapy==0.3.4 numpy==1.26.4 scipy==1.17.1 scikit-learn==1.9.1
    # to pin them exactly:
    #   /tmp/dadapy-venv/bin/pip install "numpy==1.26.4" "scipy==1.17.1" \
    #       "scikit-learn==1.9.1" "dadapy==0.3.4"
    # (if the dadapy source build fails, install "numpy<2" and cython first and add
    #  --no-build-isolation to the dadapy install; it was not needed here)
    cd <repository root>
    /tmp/dadapy-venv/bin/python tests/golden/make_golden.py

Outputs (next to this file):
    clouds.npz           float64 point clouds, keys: plane, plane_noisy, indep,
                         gauss, swiss, sphere3 (rows = points, same order used by DADApy)
    dadapy_golden.json   DADApy results + the exact calls used + library versions

The project's tests should load clouds.npz (numpy only) and compare their own
estimators with dadapy_golden.json; they must NOT import dadapy.

=====================================================================================
HOW DADApy 0.3.4 COMPUTES THESE QUANTITIES (read from the installed 0.3.4 source:
dadapy/id_estimation.py, dadapy/_utils/utils.py, dadapy/metric_comparisons.py,
dadapy/base.py, and the Cython source embedded in dadapy/_cython/cython_overlap.c)
=====================================================================================

Neighbour distances.  Data(coordinates=X, maxk=100) stores nothing at init.
compute_distances() calls utils.compute_nn_distances(X, maxk) ->
sklearn NearestNeighbors(n_neighbors=maxk+1).fit(X).kneighbors(X), so
self.distances[:, 0] == 0 is the point itself, [:, 1] = r1, [:, 2] = r2, ...
(Euclidean).  No zero-distance smearing is applied on this path (only a warning).

(a) compute_id_2NN(algorithm="base", mu_fraction=0.9, data_fraction=1)
    Signature in 0.3.4:
        compute_id_2NN(self, algorithm="base", mu_fraction=0.9, data_fraction=1,
                       n_iter=None, set_attr=True)
    (there is no 'decimation' argument any more; data_fraction=1, the default,
    uses the whole data set once with no random subsampling.)
    With data_fraction == 1:
        mus = self.distances[:, 2] / self.distances[:, 1]
        intrinsic_dim = self._compute_id_2NN(mus, mu_fraction, algorithm)
        intrinsic_dim_err = 0.0
        intrinsic_dim_scale = np.mean(self.distances[:, np.array([1, 2])])
    i.e. error is exactly 0.0 and scale = mean over all points of (r1 + r2)/2.
    _compute_id_2NN:
        N = mus.shape[0]
        n_eff = int(N * mu_fraction)
        log_mus = np.log(mus)
        log_mus_reduced = np.sort(log_mus)[:n_eff]
        ...
        elif algorithm == "base":
            y = -np.log(1 - np.arange(1, n_eff + 1) / N)
            def func(x, m):
                return m * x
            intrinsic_dim, _ = curve_fit(func, log_mus_reduced, y)
    So 'base': sort log(mu) ascending, keep the SMALLEST n_eff = int(N*0.9) values
    (discards the largest 10% of mu), empirical CDF F_i = i/N with i = 1..n_eff
    (denominator is the full N, not n_eff, not N+1), and fit y = -log(1 - F_i)
    against x = log(mu_(i)) with a straight line THROUGH THE ORIGIN by unweighted
    least squares (scipy.optimize.curve_fit, p0=1, default LM tolerances).
    For this linear model that equals the closed form d = sum(x*y) / sum(x*x);
    the json stores that closed form as 'closed_form_lstsq' next to DADApy's value
    so the size of curve_fit's convergence error is visible (it is ~1e-9 relative or
    smaller).
    Note: if mu_fraction is (close to) 1 and algorithm == "base", DADApy silently
    switches to "ml" ("fraction = 1: algorithm set to ml").

(b) compute_id_2NN(algorithm="ml", data_fraction=1)
        if algorithm == "ml":
            intrinsic_dim = (N - 1) / np.sum(log_mus)
    i.e. d = (N - 1) / sum_{i=1..N} log(mu_i) over ALL N points: mu_fraction is
    ignored for 'ml' (log_mus_reduced is not used).  Error 0.0 and scale as in (a).

(c) return_id_scaling_gride(range_max=64, d0=0.001, d1=1000, eps=1e-7,
                            set_attr=False, return_ranks=False)
    Ranks:
        max_rank = min(self.N, range_max)
        max_step = int(math.log(max_rank, 2))
        nn_ranks = np.array([2**i for i in range(max_step + 1)])   # 1,2,4,...,64
    mus / rs: if self.distances already exists and max_rank < self.maxk + 1, they
    are taken from self.distances:
        mus = self.distances[:, nn_ranks[1:]] / self.distances[:, nn_ranks[:-1]]
        rs = self.distances[:, np.array([nn_ranks[:-1], nn_ranks[1:]])]
    otherwise (fresh Data object with coordinates, which is what this script uses)
    _return_mus_scaling computes the same thing chunk-wise from
    sklearn pairwise_distances_chunked(X, X, squared=True), sorting, sqrt, then
    remove_zero_dists (distances < machine eps in columns 1: set to eps), and
        mus = dist[:, steps[1:]] / dist[:, steps[:-1]]
    So step i (i = 0..max_step-1) uses n1 = 2**i, n2 = 2*n1 = 2**(i+1), and
    mu = r_{n2} / r_{n1} (the "rank" 0 is the point itself):
        for i in range(mus.shape[1]):
            n1 = 2**i
            intrinsic_dim, id_error = self._compute_id_gride_single_scale(
                d0, d1, mus[:, i], n1, 2 * n1, eps)
    With range_max=64 there are 6 estimates: (n1, n2) = (1,2),(2,4),(4,8),(8,16),
    (16,32),(32,64).
    Returned scale (default, return_ranks=False) is a DISTANCE:
        rs_scaling = np.mean(rs, axis=(0, 1))
    i.e. for each step, mean over all points of (r_{n1} + r_{n2}) / 2.
    With return_ranks=True the third output is nn_ranks[1:] = n2 = [2,4,...,64]
    instead.  The json stores both ('scales' = distances, 'ranks_n2' = n2).
    Per-scale estimate (_compute_id_gride_single_scale):
        id_ = ut._argmax_loglik(self.dtype, d0, d1, mus, n1, n2, eps=eps)
        id_err = (1 / ut._fisher_info_scaling(id_, mus, n1, 2 * n1,
                                              eps=5 * self.eps)) ** 0.5
    Outlier removal (utils._filter_mus), applied to the mu ratios of that scale
    (not to distances), only inside _argmax_loglik:
        indx = np.nonzero(mus == 1)
        mus[indx] += 10 * np.finfo(dtype).eps
        q3, q2 = np.percentile(mus, [95, 50])
        mu_max = 20 * (q3 - q2) + q2
        select = mus < mu_max
        mus = mus[select]
    i.e. keep mu < q50 + 20*(q95 - q50) (strict '<'; np.percentile default linear
    interpolation).  (The mus == 1 bump is done in place on the column view.)
    MLE (utils._argmax_loglik): bisection for the zero of the derivative on the
    bracket [d0, d1] = [0.001, 1000], stopping when |d0 - d1| <= eps = 1e-7,
    answer = midpoint:
        N = len(mus)                       # FILTERED count
        l1 = _neg_dloglik_did(d1, mus, n1, n2, N, eps)
        while abs(d0 - d1) > eps:
            d2 = (d0 + d1) / 2.0
            l2 = _neg_dloglik_did(d2, mus, n1, n2, N, eps)
            if l2 * l1 > 0:
                d1 = d2
            else:
                d0 = d2
        d = (d0 + d1) / 2.0
    with
        def _neg_dloglik_did(d, mus, n1, n2, N, eps):
            one_m_mus_d = 1.0 - mus ** (-d)
            one_m_mus_d[one_m_mus_d < 2 * eps] = 2 * eps
            summation = np.sum(((1 - n2 + n1) / one_m_mus_d + n2 - 1.0) * np.log(mus))
            return summation - (N - 1) / d
    i.e. the likelihood is the Gride one with (N - 1) log d (not N log d):
        logL = (N-1) log d + sum (n2-n1-1) log(mu^d - 1) - sum log B(n2-n1, n1)
               - sum ((n2-1) d + 1) log mu
    and the root solves sum[((n2-1) - (n2-n1-1)/(1 - mu^-d)) log mu] = (N-1)/d.
    For n1=1, n2=2 this is closed form: d = (N_f - 1) / sum_{filtered} log mu
    (2NN 'ml' on the filtered mus).  Resolution of the bisection: ~1e-7 absolute.
    Error (utils._fisher_info_scaling) uses the UNFILTERED mus of that scale
    (N = all points) and n2 = 2*n1:
        one_m_mus_d = 1.0 - mus ** (-1.0 * id_ml)
        one_m_mus_d[one_m_mus_d < eps] = eps          # eps = 5 * machine eps
        log_mu = np.log(mus)
        j0 = N / id_ml**2
        factor1 = np.divide(log_mu, one_m_mus_d)
        factor2 = mus ** (-id_ml)
        tmp = np.multiply(factor1**2, factor2)
        j1 = np.sum((n2 - n1 - 1) * tmp)
        return j0 + j1
    error = 1 / sqrt(N/d^2 + sum (n2-n1-1) (log mu)^2 mu^-d / (1 - mu^-d)^2);
    for n1=1, n2=2 that is d / sqrt(N).
    There is no public compute_id_gride in 0.3.4; the single GRIDE estimate at
    n1=1, n2=2 is entry 0 of return_id_scaling_gride (stored as
    'gride_n1_1_n2_2'; the script also asserts it equals the closed form above).

(d) return_data_overlap(coordinates=None, distances=None, dist_indices=None, k=30,
                        avg=True, use_cython=True)   -- method of Data
    (MetricComparisons).  Call used: Data(coordinates=A, maxk=100)
    .return_data_overlap(coordinates=B, k=k).  Neighbour indices of both spaces
    come from compute_nn_distances (sklearn kNN with k+1 neighbours, column 0 =
    the point itself) or from self.dist_indices if already computed; then
        dist_indices_base, k_base = self._get_nn_indices(self.X, self.distances,
                                                         self.dist_indices, k)
        dist_indices_other, k_other = self._get_nn_indices(coordinates, distances,
                                                           dist_indices, k)
        k = min(k_base, k_other)
        overlaps = c_ov._compute_data_overlap(ndata, k, ...)
        if avg:
            overlaps = np.mean(overlaps)
    Cython kernel (cython_overlap.pyx, quoted from the generated C):
        for i in range(Nele):
            count = 0
            for j in range(1, k+1):
                elem = indices1[i, j]
                for l in range(1, k + 1):
                    if elem == indices2[i, l]:
                        count += 1
                        break
            overlaps[i] = count / k
    Pure-python branch (use_cython=False) is the same:
        len(np.intersect1d(dist_indices_base[i, 1 : k + 1],
                           dist_indices_other[i, 1 : k + 1])) / k
    So overlap(k) = mean_i |N_k^A(i) ∩ N_k^B(i)| / k, where N_k(i) are the k
    nearest neighbours of point i EXCLUDING column 0 (the point itself), and the
    average is the plain mean over all N points.  Both inputs must have the same
    points in the same order.  The script checks use_cython=False gives the same.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CLOUDS_PATH = HERE / "clouds.npz"
JSON_PATH = HERE / "dadapy_golden.json"

MAXK = 100
RANGE_MAX = 64
OVERLAP_KS = [1, 2, 3, 4, 5, 6]

SEEDS = {
    "plane": 101,
    "plane_noisy": 102,  # seed of the noise only; points are plane's
    "indep": 103,
    "gauss": 104,
    "swiss": 105,
    "sphere3": 106,
    "lattice_ties": 107,  # seed of the 200 random points; the lattice is fixed
}


def _orthonormal_map(rng: np.random.Generator, d: int, D: int) -> np.ndarray:
    """Random D x d matrix with orthonormal columns (QR of a gaussian matrix)."""
    q, r = np.linalg.qr(rng.standard_normal((D, d)))
    q = q * np.sign(np.diag(r))[None, :]
    return q


def make_clouds() -> dict[str, np.ndarray]:
    clouds: dict[str, np.ndarray] = {}

    # plane: 500 points uniform in [0,1]^2, embedded in R^10 by an orthonormal map
    rng = np.random.default_rng(SEEDS["plane"])
    lat = rng.uniform(0.0, 1.0, size=(500, 2))
    clouds["plane"] = lat @ _orthonormal_map(rng, 2, 10).T

    # plane_noisy: same points, same order, + 0.01 * N(0, I_10)
    rng = np.random.default_rng(SEEDS["plane_noisy"])
    clouds["plane_noisy"] = clouds["plane"] + 0.01 * rng.standard_normal((500, 10))

    # indep: independent 500-point standard gaussian cloud in R^10
    rng = np.random.default_rng(SEEDS["indep"])
    clouds["indep"] = rng.standard_normal((500, 10))

    # gauss: 800 points N(0, I_12) embedded in R^50 by an orthonormal map
    rng = np.random.default_rng(SEEDS["gauss"])
    lat = rng.standard_normal((800, 12))
    clouds["gauss"] = lat @ _orthonormal_map(rng, 12, 50).T

    # swiss: 800-point Swiss roll in R^3 (intrinsic dim 2), sklearn's parametrisation
    # t = 1.5*pi*(1 + 2u), height = 21 v, x = (t cos t, height, t sin t), no noise
    rng = np.random.default_rng(SEEDS["swiss"])
    t = 1.5 * np.pi * (1.0 + 2.0 * rng.uniform(0.0, 1.0, size=800))
    h = 21.0 * rng.uniform(0.0, 1.0, size=800)
    clouds["swiss"] = np.stack([t * np.cos(t), h, t * np.sin(t)], axis=1)

    # sphere3: 1000 points uniform on S^3 in R^4 (normalised gaussians), embedded in R^20
    rng = np.random.default_rng(SEEDS["sphere3"])
    g = rng.standard_normal((1000, 4))
    s = g / np.linalg.norm(g, axis=1, keepdims=True)
    clouds["sphere3"] = s @ _orthonormal_map(rng, 4, 20).T

    # lattice_ties: the 7x7x7 integer lattice (343 points, every neighbour distance tied) plus 200
    # points uniform in [0, 6]^3: many ratios r_n2/r_n1 are exactly 1 (DADApy's tie rule matters)
    rng = np.random.default_rng(SEEDS["lattice_ties"])
    g = np.arange(7.0)
    lattice = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    clouds["lattice_ties"] = np.concatenate([lattice, rng.uniform(0.0, 6.0, size=(200, 3))])

    for name, X in clouds.items():
        X = np.ascontiguousarray(X, dtype=np.float64)
        assert np.unique(X, axis=0).shape[0] == X.shape[0], f"{name} has duplicates"
        assert np.all(np.isfinite(X))
        clouds[name] = X
    return clouds


CLOUD_INFO = {
    "plane": {"true_id": 2, "desc": "500 pts uniform in [0,1]^2 @ Q(10x2)^T, seed 101"},
    "plane_noisy": {
        "true_id": 2,
        "desc": "plane + 0.01*N(0,I_10) (noise rng seed 102), same points/order",
    },
    "indep": {"true_id": 10, "desc": "500 pts N(0,I_10), seed 103"},
    "gauss": {"true_id": 12, "desc": "800 pts N(0,I_12) @ Q(50x12)^T, seed 104"},
    "swiss": {
        "true_id": 2,
        "desc": "800 pts swiss roll t=1.5pi(1+2u), h=21v, (t cos t, h, t sin t), seed 105",
    },
    "sphere3": {
        "true_id": 3,
        "desc": "1000 pts uniform on S^3 in R^4 @ Q(20x4)^T, seed 106",
    },
    "lattice_ties": {
        "true_id": 3,
        "desc": "7x7x7 integer lattice + 200 pts uniform in [0,6]^3 (seed 107): tied neighbour distances",
    },
}


def _f(x) -> float:
    return float(x)


def golden_for_cloud(X: np.ndarray) -> dict:
    from dadapy import Data

    N = X.shape[0]
    maxk = min(MAXK, N - 1)
    out: dict = {"n": int(N), "dim": int(X.shape[1]), "maxk": int(maxk)}

    # (a) 2NN base -- fresh Data object
    d = Data(coordinates=X, maxk=maxk, verbose=False)
    idb, errb, scb = d.compute_id_2NN(algorithm="base", mu_fraction=0.9, data_fraction=1)
    mus = d.distances[:, 2] / d.distances[:, 1]
    n_eff = int(N * 0.9)
    x = np.sort(np.log(mus))[:n_eff]
    y = -np.log(1 - np.arange(1, n_eff + 1) / N)
    closed = float(np.sum(x * y) / np.sum(x * x))
    out["id_2nn_base"] = {
        "id": _f(idb),
        "error": _f(errb),
        "scale": _f(scb),
        "closed_form_lstsq": closed,
        "n_eff": n_eff,
    }

    # (b) 2NN ml -- fresh Data object
    d = Data(coordinates=X, maxk=maxk, verbose=False)
    idm, errm, scm = d.compute_id_2NN(algorithm="ml", mu_fraction=0.9, data_fraction=1)
    assert math.isclose(idm, (N - 1) / np.sum(np.log(mus)), rel_tol=1e-12)
    out["id_2nn_ml"] = {"id": _f(idm), "error": _f(errm), "scale": _f(scm)}

    # (c) Gride scaling -- fresh Data object (coordinate / pairwise_distances_chunked path)
    d = Data(coordinates=X, maxk=maxk, verbose=False)
    ids, errs, scales = d.return_id_scaling_gride(range_max=RANGE_MAX)
    d2 = Data(coordinates=X, maxk=maxk, verbose=False)
    ids2, errs2, ranks = d2.return_id_scaling_gride(range_max=RANGE_MAX, return_ranks=True)
    assert np.allclose(ids, ids2, rtol=0, atol=1e-12)
    max_rank = min(N, RANGE_MAX)
    max_step = int(math.log(max_rank, 2))
    n1s = [2**i for i in range(max_step)]
    n2s = [2 * a for a in n1s]
    assert list(map(int, ranks)) == n2s
    # points kept by DADApy's mu filter at each scale (mu < q50 + 20*(q95-q50))
    n_kept = []
    for a, b in zip(n1s, n2s):
        m = d.distances[:, b] / d.distances[:, a]
        hi, med = np.percentile(m, [95, 50])
        n_kept.append(int(np.sum(m < 20 * (hi - med) + med)))
    out["gride_scaling"] = {
        "ids": [_f(v) for v in ids],
        "errors": [_f(v) for v in errs],
        "scales": [_f(v) for v in scales],
        "scales_meaning": "mean over points of (r_n1 + r_n2)/2 (a distance)",
        "n1": n1s,
        "n2": n2s,
        "ranks_n2": [int(r) for r in ranks],
        "n_kept_after_filter": n_kept,
    }

    # single Gride estimate at n1=1, n2=2 = entry 0; cross-check with closed form
    mu12 = d.distances[:, 2] / d.distances[:, 1]
    q95, q50 = np.percentile(mu12, [95, 50])
    keep = mu12 < 20 * (q95 - q50) + q50
    closed_g = (keep.sum() - 1) / np.sum(np.log(mu12[keep]))
    assert abs(closed_g - ids[0]) < 1e-6, (closed_g, ids[0])
    assert math.isclose(errs[0], ids[0] / math.sqrt(N), rel_tol=1e-9)
    out["gride_n1_1_n2_2"] = {
        "id": _f(ids[0]),
        "error": _f(errs[0]),
        "scale": _f(scales[0]),
        "n_kept_after_filter": int(keep.sum()),
        "closed_form": _f(closed_g),
    }
    return out


def overlap_for_pair(A: np.ndarray, B: np.ndarray) -> dict:
    from dadapy import Data

    vals = []
    for k in OVERLAP_KS:
        d = Data(coordinates=A, maxk=min(MAXK, A.shape[0] - 1), verbose=False)
        v = d.return_data_overlap(coordinates=B, k=k)
        d = Data(coordinates=A, maxk=min(MAXK, A.shape[0] - 1), verbose=False)
        vp = d.return_data_overlap(coordinates=B, k=k, use_cython=False)
        assert math.isclose(v, vp, rel_tol=0, abs_tol=1e-15)
        vals.append(_f(v))
    return {"k": OVERLAP_KS, "overlap": vals}


CALLS = {
    "data": "dadapy.Data(coordinates=X, maxk=min(100, N-1))  # fresh object per call",
    "id_2nn_base": 'Data.compute_id_2NN(algorithm="base", mu_fraction=0.9, data_fraction=1)',
    "id_2nn_ml": 'Data.compute_id_2NN(algorithm="ml", mu_fraction=0.9, data_fraction=1)',
    "gride_scaling": "Data.return_id_scaling_gride(range_max=64)  "
    "# defaults d0=0.001, d1=1000, eps=1e-7; ranks via return_ranks=True on a 2nd fresh object",
    "gride_n1_1_n2_2": "entry 0 of Data.return_id_scaling_gride(range_max=64)",
    "overlap": "Data(coordinates=A, maxk=100).return_data_overlap(coordinates=B, k=k)  "
    "# avg=True, use_cython=True (checked equal to use_cython=False)",
}


def main() -> None:
    import dadapy  # noqa: F401
    from importlib.metadata import version

    assert version("dadapy") == "0.3.4", version("dadapy")

    clouds = make_clouds()
    np.savez(CLOUDS_PATH, **clouds)

    result: dict = {
        "dadapy_version": version("dadapy"),
        "numpy_version": np.__version__,
        "scipy_version": version("scipy"),
        "scikit_learn_version": version("scikit-learn"),
        "python_version": platform.python_version(),
        "generated_by": "tests/golden/make_golden.py (run with /tmp/dadapy-venv python)",
        "clouds_file": "tests/golden/clouds.npz",
        "calls": CALLS,
        "clouds": {},
        "overlap": {},
    }
    for name, X in clouds.items():
        g = golden_for_cloud(X)
        g.update(CLOUD_INFO[name])
        g["seed"] = SEEDS[name]
        result["clouds"][name] = g
        print(
            f"{name:12s} base={g['id_2nn_base']['id']:.4f} ml={g['id_2nn_ml']['id']:.4f} "
            f"gride={np.round(g['gride_scaling']['ids'], 3).tolist()}",
            file=sys.stderr,
        )

    for a, b in [("plane", "plane_noisy"), ("plane", "indep")]:
        ov = overlap_for_pair(clouds[a], clouds[b])
        ov["base"] = a
        ov["other"] = b
        result["overlap"][f"{a}__{b}"] = ov
        print(f"overlap {a}/{b}: {np.round(ov['overlap'], 4).tolist()}", file=sys.stderr)

    JSON_PATH.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    print(f"wrote {CLOUDS_PATH} and {JSON_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
