"""The benchmarks of ``cgcore.bench`` as experiments: each is computed and stored like any
other result, and its claims go to the scorecard."""

from __future__ import annotations

from .. import bench


def runners() -> dict:
    """name -> (run, claims) for cgcore.experiments.EXPERIMENTS."""
    return {
        bench.TAYLOR_BENCH: (bench.run_taylor_features, bench.claims_taylor_features),
        bench.CG_CONV_BENCH: (bench.run_cg_conv, bench.claims_cg_conv),
        bench.DISTILL_BENCH: (bench.run_distill_step, bench.claims_distill_step),
        bench.DISTILL_EMBED_BENCH: (bench.run_distill_embed, bench.claims_distill_embed),
        bench.TRAIN_PRECISION_BENCH: (bench.run_train_precision, bench.claims_train_precision),
        bench.DISTILL_SHARD_BENCH: (bench.run_distill_shard, bench.claims_distill_shard),
        bench.TAYLOR_ROOFLINE_BENCH: (bench.run_taylor_roofline, bench.claims_taylor_roofline),
    }
