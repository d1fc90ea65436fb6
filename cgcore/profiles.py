"""Compute profiles: the one place where every experiment's sizes are set.

- ``smoke``: seconds on tiny real subsets, for tests and CI. Numbers are meaningless.
- ``cpu``: what the published book shows; each experiment finishes within about an
  hour on 2 CPU cores.
- ``paper``: the paper's full setting, for a reader with a GPU.

Every value here ends up in the manifest of the result it produced, so a stored number
can always be traced back to the settings that made it.
"""

from __future__ import annotations

import copy

from .data import check_choice

PROFILES = ("smoke", "cpu", "paper")

# Sec. III, Eq. (3), Fig. 2: a linear layer on all Taylor terms of 7x7 MNIST.
_TAYLOR_EXPANSION = {
    "dataset": "mnist7",
    "image_size": 7,
    "antialias": True,           # antialiased bilinear (as PIL/torchvision Resize), see cgcore.data.resize_mnist
    "expansion_point": "mean",   # Eq. (2) expanded at the mean image, see cgcore.taylor.TaylorExpansion
    "orders": [1, 2, 3, 4],
    "train_size": None,          # None = the full 60,000 training images
    "test_size": None,           # None = the full 10,000 test images
    "standardize_samples": 20000,  # images used for the per-term mean/std
    "epochs": [10, 10, 12, 24],   # one entry per order
    # Training augmentation: a small random shift/rotation/zoom of the 28x28 image before
    # it is resized (cgcore.data.random_affine); None trains on the fixed 7x7 images.
    "augment": {"max_shift": 0.04, "max_degrees": 5.0, "max_scale": 0.05},
    "batch_size": 128,
    "optimizer": "adam",
    "lr": 1e-3,
    "weight_decay": 0.0,
    "schedule": "onecycle",
    "label_smoothing": 0.0,
    "prune_keep": [0.5, 0.3, 0.1],  # Sec. III: keep 50 %, 30 %, 10 % of the weights
    "prune_order": 4,
    "level_order_by": "value",    # Fig. 3: levels from signed values (paper's wording)
    "seed": 0,
}

# Benchmark: cgcore's Taylor features against scikit-learn's PolynomialFeatures.
_TAYLOR_BENCH = {
    "order": 4,
    "n_vars": 49,
    "batch_size": 256,
    "repeats": 5,
    "seed": 0,
}

# What each choice the paper leaves open is worth: short runs of the Taylor expansion
# with one choice changed at a time, on top of the ``taylor_expansion`` config of the
# same profile (the inherited settings are resolved into ``base`` by get_config, so the
# manifest holds them all).
_TAYLOR_ABLATION = {
    "base_experiment": "taylor_expansion",
    "seed": 0,
    "orders": [2, 3],
    "epochs": [8, 8],
    "variants": {
        "plain bilinear resize, expanded at 0": {"antialias": False, "expansion_point": "zero", "augment": None},
        "antialiased resize, expanded at 0": {"antialias": True, "expansion_point": "zero", "augment": None},
        "antialiased, expanded at the mean image": {"antialias": True, "expansion_point": "mean", "augment": None},
        "antialiased, mean, augmented (the book's)": {"antialias": True, "expansion_point": "mean"},
    },
}

_BASE = {
    "taylor_expansion": _TAYLOR_EXPANSION,
    "taylor_ablation": _TAYLOR_ABLATION,
    "taylor_features_bench": _TAYLOR_BENCH,
}

# Per-profile changes to the base (the ``cpu`` profile is the base itself).
_OVERRIDES = {
    "smoke": {
        "taylor_expansion": {
            "orders": [1, 2, 3],
            "train_size": 600,
            "test_size": 300,
            "standardize_samples": 600,
            "epochs": [2, 2, 1],
            "batch_size": 100,
            "prune_order": 3,
        },
        "taylor_ablation": {"orders": [1, 2], "epochs": [1, 1]},
        "taylor_features_bench": {"order": 3, "batch_size": 32, "repeats": 2},
    },
    "cpu": {},
    "paper": {
        "taylor_expansion": {
            "epochs": [40, 40, 40, 40],
            "standardize_samples": 60000,
        },
        "taylor_ablation": {"epochs": [20, 20]},
        "taylor_features_bench": {"repeats": 20},
    },
}


def experiments() -> tuple[str, ...]:
    return tuple(_BASE)


def get_config(experiment: str, profile: str, **overrides) -> dict:
    """The full configuration of ``experiment`` under ``profile``, with optional overrides."""
    check_choice("profile", profile, PROFILES)
    check_choice("experiment", experiment, experiments())
    config = copy.deepcopy(_BASE[experiment])
    config.update(copy.deepcopy(_OVERRIDES[profile].get(experiment, {})))
    unknown = set(overrides) - set(config)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)} for {experiment}; "
                         f"accepted: {', '.join(sorted(config))}")
    config.update(overrides)
    if "base_experiment" in config:
        # Only the settings the experiment inherits: its own keys (orders, epochs) win.
        base = get_config(config["base_experiment"], profile)
        config["base"] = {k: v for k, v in base.items() if k not in config}
    return config
