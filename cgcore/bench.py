"""Benchmarks: time and peak memory of cgcore's kernels against well-known baselines.

Peak memory is measured in a fresh child process (``multiprocessing`` spawn): the
child warms up, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), runs
the workload once, and reports ``VmHWM`` minus the resident size before the run. That
counts torch's and numpy's allocations alike, which ``tracemalloc`` would not. On a
system without ``/proc`` the memory columns are None.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import numpy as np

TAYLOR_BENCH = "taylor_features_bench"


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _taylor_workload(method: str, x: np.ndarray, order: int):
    if method == "sklearn":
        from sklearn.preprocessing import PolynomialFeatures

        return lambda: PolynomialFeatures(degree=order).fit_transform(x)
    import torch

    from .taylor import TaylorFeatures

    features = TaylorFeatures(x.shape[1], order)
    tensor = torch.from_numpy(x.astype(np.float32 if method == "cgcore_float32" else np.float64))
    return lambda: features(tensor)


def _peak_child(method: str, x: np.ndarray, order: int, queue) -> None:
    import torch

    torch.set_num_threads(1)
    work = _taylor_workload(method, x, order)
    work()  # warm-up: imports, first allocations
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        queue.put(None)
        return
    before = _status_kib("VmRSS")
    work()
    peak = _status_kib("VmHWM")
    queue.put(None if before is None or peak is None else (peak - before) / 1024)


def peak_memory_mib(method: str, x: np.ndarray, order: int) -> float | None:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_peak_child, args=(method, x, order, queue))
    proc.start()
    value = queue.get(timeout=600)
    proc.join()
    return value


def median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run_taylor_features(config: dict, profile: str, progress: bool = True) -> dict:
    """cgcore's Taylor features against scikit-learn's PolynomialFeatures on one batch.

    Both produce all monomials up to ``order`` (scikit-learn also the constant column);
    the timed comparison is float64 against float64, with cgcore's float32 (what
    training uses) alongside. The outputs are checked to hold the same numbers.
    """
    import torch

    rng = np.random.default_rng(config["seed"])
    x = rng.random((config["batch_size"], config["n_vars"]))
    order = config["order"]
    methods = ("sklearn", "cgcore_float64", "cgcore_float32")
    seconds, memory = {}, {}
    for method in methods:
        seconds[method] = median_seconds(_taylor_workload(method, x, order), config["repeats"])
        memory[method] = peak_memory_mib(method, x, order)
        if progress:
            print(f"{method}: {seconds[method] * 1e3:.1f} ms, peak {memory[method]} MiB", flush=True)
    ours = _taylor_workload("cgcore_float64", x, order)().numpy()
    theirs = _taylor_workload("sklearn", x, order)()[:, 1:]
    same = bool(np.allclose(np.sort(ours, axis=1), np.sort(theirs, axis=1)))
    return {
        "seconds": seconds,
        "peak_mib": memory,
        "speedup_vs_sklearn": seconds["sklearn"] / seconds["cgcore_float64"],
        "memory_ratio_vs_sklearn": (memory["sklearn"] / memory["cgcore_float64"]
                                    if memory["sklearn"] and memory["cgcore_float64"] else None),
        "outputs_match": same,
        "n_features": int(theirs.shape[1] + 1),
        "torch_threads": torch.get_num_threads(),
    }


def claims_taylor_features(result: dict) -> dict[str, float]:
    return {"taylor_features_speedup": result["speedup_vs_sklearn"]}



# --------------------------------------------------------------------------- CG vs conv

CG_CONV_BENCH = "cg_conv_bench"


def cg_label(parameterisation: dict) -> str:
    """'factorised, rank 1' or 'full' for a parameterisation dict of the config."""
    if parameterisation["parameterisation"] == "factorised":
        return f"factorised, rank {parameterisation.get('rank', 1)}"
    return parameterisation["parameterisation"]


def full_cg_mib(layer: dict, batch_size: int) -> float:
    """Rough peak memory (MiB) of forward+backward of the full Eq. (4) CG on one batch:
    the (batch, C_out, m, clusters) intermediate of x^T Q x, held about three times
    (forward, its product with x, backward), and the dense (C_out, m, m) coefficients twice."""
    from .layers import conv_output_size

    m = layer["in_channels"] * layer["kernel_size"] ** 2
    out_h, out_w = conv_output_size(layer["size"], layer["size"], layer["kernel_size"],
                                    layer["stride"], 0, layer["dilation"])
    floats = (3 * batch_size * layer["out_channels"] * m * out_h * out_w
              + 2 * layer["out_channels"] * m * m)
    return 4 * floats / 2**20


def _forward_backward(module, x):
    """One forward and backward pass of ``module`` on ``x`` (gradients of the sum)."""
    import torch

    def step():
        module.zero_grad(set_to_none=True)
        module(x).sum().backward()
        if x.is_cuda:
            torch.cuda.synchronize()
    return step


def run_cg_conv(config: dict, profile: str, progress: bool = True) -> dict:
    """Median time of forward+backward of one CG2d against an nn.Conv2d of the same
    geometry (in/out channels, kernel, stride, dilation) on the same batch.

    Every layer of ``config["layers"]`` is timed as a convolution and as a CG in each
    parameterisation of ``config["parameterisations"]``; the full Eq. (4) form is skipped
    (and says so) when :func:`full_cg_mib` exceeds ``config["max_mib"]``.
    """
    import torch
    from torch import nn

    from .layers import CG2d, conv_output_size
    from .models import count_parameters
    from .train import default_device

    device = default_device()
    batch = config["batch_size"]
    layers = {}
    for name, layer in config["layers"].items():
        torch.manual_seed(config["seed"])
        geometry = dict(kernel_size=layer["kernel_size"], stride=layer["stride"], dilation=layer["dilation"])
        x = torch.randn(batch, layer["in_channels"], layer["size"], layer["size"], device=device)
        conv = nn.Conv2d(layer["in_channels"], layer["out_channels"], **geometry).to(device)
        conv_s = median_seconds(_forward_backward(conv, x), config["repeats"])
        rows = {}
        for par in config["parameterisations"]:
            label = cg_label(par)
            row = {"parameterisation": par, "seconds": None, "ratio_vs_conv": None, "params": None,
                   "skipped": None}
            if par["parameterisation"] == "full":
                need = full_cg_mib(layer, batch)
                if need > config["max_mib"]:
                    row["skipped"] = f"needs about {need:,.0f} MiB > max_mib {config['max_mib']:,}"
                    rows[label] = row
                    if progress:
                        print(f"{name} / {label}: skipped ({row['skipped']})", flush=True)
                    continue
            cg = CG2d(layer["in_channels"], layer["out_channels"], **geometry, **par).to(device)
            row["seconds"] = median_seconds(_forward_backward(cg, x), config["repeats"])
            row["ratio_vs_conv"] = row["seconds"] / conv_s
            row["params"] = count_parameters(cg)
            if par["parameterisation"] == "factorised":
                # the arithmetic floor: the one convolution the factorised CG runs, all its
                # maps stacked (what the products add on top is the rest of its time) ...
                channels = sum(m.out_channels for m in [cg.linear, *cg.factors])
                stacked = nn.Conv2d(layer["in_channels"], channels, **geometry).to(device)
                row["stacked_channels_multiple"] = channels // layer["out_channels"]
                row["stacked_conv_ratio_vs_conv"] = (median_seconds(_forward_backward(stacked, x), config["repeats"])
                                                     / conv_s)
                del stacked
                # ... and the same layer through the generic ops (what eval mode runs) in place
                # of the training path's own backward
                cg.eval()
                row["generic_ratio_vs_conv"] = median_seconds(_forward_backward(cg, x), config["repeats"]) / conv_s
            rows[label] = row
            if progress:
                print(f"{name} / {label}: {row['seconds'] * 1e3:.1f} ms "
                      f"({row['ratio_vs_conv']:.2f}x conv)", flush=True)
            del cg
        out_h, out_w = conv_output_size(layer["size"], layer["size"], **geometry)
        layers[name] = {"geometry": layer, "output_size": [out_h, out_w], "conv_seconds": conv_s,
                        "conv_params": count_parameters(conv), "cg": rows}
    return {"layers": layers, "batch_size": batch, "device": str(device),
            "torch_threads": torch.get_num_threads(),
            "claim_layer": config["claim_layer"], "claim_parameterisation": cg_label(config["parameterisations"][0])}


def claims_cg_conv(result: dict) -> dict[str, float]:
    """cg_vs_conv_time_ratio: the models' CG (the first parameterisation) over the conv
    of the same shape, on the layer named by ``claim_layer``."""
    row = result["layers"][result["claim_layer"]]["cg"][result["claim_parameterisation"]]
    return {"cg_vs_conv_time_ratio": row["ratio_vs_conv"]}


DISTILL_BENCH = "distill_step_bench"


def run_distill_step(config: dict, profile: str, progress: bool = True) -> dict:
    """One distillation iteration over every subset of a level, batched
    (:func:`cgcore.distill.distill_step`) against the per-subset loop it replaces
    (:func:`cgcore.distill.distill_step_loop`), on the same references, network and data.

    Two workloads: ``pooled``, a step with a fixed network (real-image statistics computed
    beforehand, outside the timing), and ``fresh``, Ref. 63's step and the cpu profile's,
    with a new network, so the real images are embedded inside the step too (batched: all
    at once; loop: each subset's own images), in float32 eager mode.
    """
    import torch

    from . import distill
    from .data import load_dataset
    from .train import default_device

    device = default_device()
    train = load_dataset(config["dataset"], "train").subset(config["train_size"], config["seed"])
    images = (train.images - train.images.mean()) / train.images.std()
    n_classes = 10
    sizes = config["group_sizes"]
    subset = distill.assign_level0(train.labels, n_classes, sizes, config["level0"], config["seed"])
    n_subsets = distill.images_per_class(sizes, 1)
    cfg = distill.DistillConfig(width=config["width"], depth=config["depth"], seed=config["seed"],
                                subset_chunk=config["subset_chunk"])
    net = distill.embedding_net(cfg, images.shape[1], images.shape[-1], config["seed"], device)
    refs = distill.initial_references(images, train.labels, subset, n_subsets, n_classes, "real")
    refs = refs.to(device).requires_grad_(True)
    terms = distill._real_terms(cfg, net, images, train.labels, subset, n_subsets, n_classes)

    def pooled(step):
        def go():
            refs.grad = None
            step(refs, net, terms, cfg)
        return go

    def fresh_batched():
        refs.grad = None
        t = distill._real_terms(cfg, net, images, train.labels, subset, n_subsets, n_classes)
        distill.distill_step(refs, net, t, cfg)

    members = [torch.nonzero(subset == s).flatten() for s in range(n_subsets)]

    def fresh_loop():
        refs.grad = None
        for s, idx in enumerate(members):  # each subset embeds its own real images, then steps
            t = distill._real_terms(cfg, net, images[idx], train.labels[idx], torch.zeros_like(idx), 1, n_classes)
            distill.distill_step_loop(refs[s:s + 1], net, t, cfg)

    rows = {}
    for name, batched, loop in (("pooled", pooled(distill.distill_step), pooled(distill.distill_step_loop)),
                                ("fresh", fresh_batched, fresh_loop)):
        b = median_seconds(batched, config["repeats"])
        l = median_seconds(loop, config["repeats"])
        rows[name] = {"batched_seconds": b, "loop_seconds": l, "speedup": l / b}
        if progress:
            print(f"{name}: batched {b:.2f}s, loop {l:.2f}s, speedup {l / b:.1f}x", flush=True)
    return {"workloads": rows, "n_subsets": n_subsets, "n_real": int((subset >= 0).sum()),
            "n_references": n_subsets * n_classes, "device": str(device),
            "torch_threads": torch.get_num_threads(), "claim_workload": config["claim_workload"]}


def claims_distill_step(result: dict) -> dict[str, float]:
    return {"distill_batched_speedup": result["workloads"][result["claim_workload"]]["speedup"]}


DISTILL_EMBED_BENCH = "distill_embed_bench"


def run_distill_embed(config: dict, profile: str, progress: bool = True) -> dict:
    """The fresh-network embedding, the dominant cost of distilling with a new network every
    iteration: real images embedded per second by the Fig. 8 network (no gradient) in
    float32, under bfloat16 autocast, with NHWC (channels_last) activations, both, and
    optionally ``torch.compile``d (its compile time reported apart). The same for one
    distillation step (the references' forward and backward).

    Then the check that the fast path changes nothing that matters: a random sample of
    level-1 subsets is distilled with fresh networks in float32 and with each fast setting,
    and every result is scored in unseen float32 networks
    (:func:`cgcore.experiments.distillation.run_budget`); the gap to the class mean must move
    by less than ``tolerance``.
    """
    import torch

    from . import distill
    from .data import load_dataset
    from .experiments.common import channel_stats, from_pixels
    from .experiments.distillation import run_budget
    from .train import default_device

    device = default_device()
    data = load_dataset(config["dataset"], "train").subset(config["n_images"], config["seed"])
    images = from_pixels(data.images, *channel_stats(data.images))
    in_channels, size = images.shape[1], images.shape[-1]
    settings = {name: dict(s) for name, s in config["settings"].items()}

    def embed_fn(width, s):
        cfg = distill.DistillConfig(width=width, embed_precision=s["precision"], channels_last=s["channels_last"])
        net = distill.embedding_net(cfg, in_channels, size, config["seed"], device)
        compiled, compile_seconds = bool(s.get("compile")), None
        if compiled:          # the distillation's path: one graph for every fresh network
            torch._dynamo.reset()
            t0 = time.perf_counter()
            distill.embed_real(net, images[:config["embed_batch"]], config["embed_batch"], s["precision"], True)
            compile_seconds = time.perf_counter() - t0
        return (lambda: distill.embed_real(net, images, config["embed_batch"], s["precision"], compiled)), \
            compile_seconds

    embed_rows = []
    for width in config["widths"]:
        for name, s in settings.items():
            try:
                fn, compile_seconds = embed_fn(width, s)
                fn()                                          # warm-up
                seconds = median_seconds(fn, config["repeats"])
                row = {"width": width, "setting": name, "images_per_second": len(images) / seconds,
                       "compile_seconds": compile_seconds, "error": None}
            except Exception as err:  # torch.compile needs a working compiler; report, do not fail
                row = {"width": width, "setting": name, "images_per_second": None, "compile_seconds": None,
                       "error": f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"}
            embed_rows.append(row)
            if progress:
                print(f"embed width {width} {name}: {row['images_per_second'] or row['error']}", flush=True)
    base = {r["width"]: r["images_per_second"] for r in embed_rows if r["setting"] == "float32"}
    for r in embed_rows:
        r["speedup"] = r["images_per_second"] / base[r["width"]] if r["images_per_second"] else None

    # one distillation step over n_step_subsets subsets (the references' forward and backward)
    n_sub, n_classes = config["n_step_subsets"], 10
    refs = images[:n_sub * n_classes].view(n_sub, n_classes, *images.shape[1:]).clone().to(device)
    refs.requires_grad_(True)
    labels = torch.arange(n_classes).repeat(n_sub)
    subset = torch.arange(n_sub).repeat_interleave(n_classes)
    step_rows = []
    for precision, channels_last in config["step_settings"]:
        cfg = distill.DistillConfig(width=config["step_width"], step_precision=precision,
                                    channels_last=channels_last, subset_chunk=8)
        net = distill.embedding_net(cfg, in_channels, size, config["seed"], device)
        terms = distill._real_terms(cfg, net, refs.detach().flatten(0, 1), labels, subset, n_sub, n_classes)
        seconds = median_seconds(lambda: distill.distill_step(refs, net, terms, cfg), config["repeats"])
        step_rows.append({"precision": precision, "channels_last": channels_last, "seconds": seconds})
    for r in step_rows:
        r["speedup"] = step_rows[0]["seconds"] / r["seconds"]

    quality = run_budget(config["quality"], profile, progress)
    variants = quality["variants"]
    reference_gap = variants[config["quality_reference"]]["gap_to_class_mean"]
    checks = {name: {"gap_to_class_mean": v["gap_to_class_mean"],
                     "difference": v["gap_to_class_mean"] - reference_gap,
                     "within_tolerance": abs(v["gap_to_class_mean"] - reference_gap) < config["tolerance"],
                     "seconds": v["seconds"]}
              for name, v in variants.items() if name != "initial"}
    return {"embed": embed_rows, "step": step_rows, "quality": checks, "quality_budget": quality,
            "tolerance": config["tolerance"], "quality_reference": config["quality_reference"],
            "claim_width": config["claim_width"], "claim_setting": config["claim_setting"],
            "n_images": len(images), "device": str(device), "torch_threads": torch.get_num_threads()}


def claims_distill_embed(result: dict) -> dict[str, float]:
    row = next(r for r in result["embed"]
               if r["width"] == result["claim_width"] and r["setting"] == result["claim_setting"])
    return {"distill_fresh_embed_speedup": row["speedup"]}


TRAIN_PRECISION_BENCH = "train_precision_bench"

def training_network(entry: dict, profile: str):
    """(network, input shape, batch size) of one network a ``profile`` trains, built from that
    experiment's own config: ``{"experiment": <taylornet/resnet experiment>, "variant": ...}``,
    ``{"experiment": <distillation experiment>, "part": "backbone"}`` or ``"part": "convnet_eval"``
    (Ref. 63's evaluation ConvNet, at the batch of one image per class)."""
    from .data import IMAGE_SHAPE
    from .models import distill_convnet, fast_cifar_net, resnet_small_input
    from .profiles import get_config

    config = get_config(entry["experiment"], profile)
    shape = IMAGE_SHAPE[config["dataset"]]
    if "variant" in entry:
        from .experiments.taylornet import build_model

        stats = ([0.0] * shape[0], [1.0] * shape[0])
        return build_model(config, entry["variant"], stats), shape, config["batch_size"]
    if entry["part"] == "backbone":
        b = config["backbone"]
        if b["arch"] == "fast_cifar":
            return fast_cifar_net(shape[0], 10, tuple(b["widths"])), shape, b["batch_size"]
        return (resnet_small_input(b["arch"], shape[0], 10, stem=b["stem"], stem_stride=b["stem_stride"]),
                shape, b["batch_size"])
    if entry["part"] == "convnet_eval":
        e = config["convnet_eval"]
        return distill_convnet(shape[0], shape[-1], e["width"], e["depth"], num_classes=10), shape, 10
    raise ValueError(f"unknown network entry {entry!r}: give a 'variant' or a 'part' "
                     "('backbone' or 'convnet_eval')")


def _train_step(model, x, y, precision: str):
    """One SGD step of ``model`` on (x, y) under ``precision``, as cgcore.train.fit takes it."""
    import torch

    from .train import autocast

    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def step():
        with autocast(precision, x.device):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def run_train_precision(config: dict, profile: str, progress: bool = True) -> dict:
    """Seconds per training step of every network ``profile`` trains, at its own batch size,
    in float32 against bfloat16 autocast, NHWC (channels_last) activations, and both."""
    import torch

    from .models import count_parameters
    from .train import default_device, memory_format

    device = default_device()
    networks = {}
    for label, entry in config["networks"].items():
        rows = {}
        for setting, s in config["settings"].items():
            torch.manual_seed(config["seed"])
            model, shape, batch = training_network(entry, profile)
            fmt = memory_format(s["channels_last"])
            model = model.to(device, memory_format=fmt).train()
            x = torch.randn(batch, *shape, device=device).to(memory_format=fmt)
            y = torch.randint(0, 10, (batch,), device=device)
            rows[setting] = median_seconds(_train_step(model, x, y, s["precision"]), config["repeats"])
        base = rows[config["reference_setting"]]
        networks[label] = {"entry": entry, "batch_size": batch, "params": count_parameters(model),
                           "seconds": rows, "speedup": {k: base / v for k, v in rows.items()}}
        if progress:
            print(f"{label}: " + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in rows.items()), flush=True)
    return {"networks": networks, "device": str(device), "torch_threads": torch.get_num_threads(),
            "reference_setting": config["reference_setting"], "claim_network": config["claim_network"],
            "claim_setting": config["claim_setting"]}


def claims_train_precision(result: dict) -> dict[str, float]:
    """train_bf16_speedup: float32 step time over ``claim_setting``'s on ``claim_network``."""
    return {"train_bf16_speedup": result["networks"][result["claim_network"]]["speedup"][result["claim_setting"]]}


DISTILL_SHARD_BENCH = "distill_shard_bench"


def distill_shard_worker(config: dict, out: str) -> None:
    """One rank of :func:`run_distill_shard`: distil ``config["subsets"]`` level-1 subsets of
    ``config["dataset"]`` for ``config["iterations"]`` iterations (the subsets split across
    the ranks when launched by torchrun); rank 0 writes the wall time and the references."""
    import json

    import torch

    from . import distill, distributed
    from .data import load_dataset
    from .experiments.common import channel_stats, from_pixels

    world = distributed.setup()
    try:
        train = load_dataset(config["dataset"], "train")
        mean, std = channel_stats(train.images)
        images = from_pixels(train.images, mean, std)
        n_classes = int(train.labels.max()) + 1
        subset = distill.assign_level0(train.labels, n_classes, config["group_sizes"], config["level0"],
                                       config["seed"])
        subset = torch.where(subset < config["subsets"], subset, torch.full_like(subset, -1))
        cfg = distill.DistillConfig(**config["distill"], seed=config["seed"])
        distributed.barrier()
        start = time.perf_counter()
        level = distill.distill_level(images, train.labels, subset, config["subsets"], n_classes, cfg, progress=False)
        seconds = time.perf_counter() - start
        if world.is_main:
            torch.save({"references": level.references, "loss": level.loss}, out + ".pt")
            Path(out + ".json").write_text(json.dumps({
                "seconds": seconds, "world_size": world.size, "threads": torch.get_num_threads(),
                "embed_seconds": level.embed_seconds}))
    finally:
        distributed.teardown()


def run_distill_shard(config: dict, profile: str, progress: bool = True) -> dict:
    """Wall time of one distillation level on a sample of level-1 subsets in one process
    against ``torchrun --nproc_per_node N`` with the subsets split across the N ranks (each
    a process of its own, launched here), and how far the gathered references are from the
    one-process ones."""
    import json
    import os
    import subprocess
    import sys
    import tempfile

    import torch

    runs, refs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in config["world_sizes"]:
            out = str(Path(tmp) / f"ranks{n}")
            launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(n)]
                        if n > 1 else [sys.executable])
            env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
            subprocess.run([*launcher, "-m", "cgcore.bench", DISTILL_SHARD_BENCH, json.dumps(config), out],
                           env=env, check=True, timeout=3600)
            runs[n] = json.loads(Path(out + ".json").read_text())
            refs[n] = torch.load(out + ".pt")["references"]
            if progress:
                print(f"{n} rank(s): {runs[n]['seconds']:.1f} s", flush=True)
    one = min(config["world_sizes"])
    return {"runs": {str(n): {**r, "speedup": runs[one]["seconds"] / r["seconds"],
                              "max_abs_difference": float((refs[n] - refs[one]).abs().max())}
                     for n, r in runs.items()},
            "subsets": config["subsets"], "iterations": config["distill"]["iterations"],
            "claim_world_size": config["claim_world_size"]}


def claims_distill_shard(result: dict) -> dict[str, float]:
    """distill_torchrun_speedup: one process's wall time over ``claim_world_size`` ranks'."""
    return {"distill_torchrun_speedup": result["runs"][str(result["claim_world_size"])]["speedup"]}



# --------------------------------------------------------------------------- order-4 Taylor roofline

TAYLOR_ROOFLINE_BENCH = "taylor_roofline_bench"


def copy_bandwidth_gbs(mib: int, repeats: int) -> float:
    """This machine's memory bandwidth as torch sees it: bytes read plus bytes written per
    second (GB/s) by copying a float32 tensor of ``mib`` MiB (far larger than the caches)."""
    import torch

    src = torch.ones(mib * 2**18)
    dst = torch.empty_like(src)
    return 2 * src.numel() * 4 / median_seconds(lambda: dst.copy_(src), repeats) / 1e9


def matmul_gflops(n: int, repeats: int) -> float:
    """This machine's float32 matrix-multiply throughput (GFLOP/s) on n x n matrices."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / median_seconds(lambda: a @ b, repeats) / 1e9


def taylor_step_traffic(batch: int, n_features: int, n_classes: int = 10) -> dict[str, float]:
    """Bytes and FLOPs of one Adam step of Eq. (3)'s model (float32), at the least the two
    paths must move or compute:

    - the B x F feature matrix is written once and read twice (forward product, gradient of
      the weights) when it is materialised; a path that contracts blocks of features with the
      weights while they are in cache moves none of it;
    - the C x F weights are touched by both paths about 12 times per step: weight/std, the
      folded bias, the forward and backward products, the chain rule through 1/std, and
      Adam (parameter, gradient and two moments read, three written);
    - FLOPs: one multiply per feature, then 2 B F C for the forward product and 2 B F C for
      the weight gradient (the input needs no gradient)."""
    features, weights = 4.0 * batch * n_features, 4.0 * n_classes * n_features
    return {"feature_bytes": 3 * features, "weight_bytes": 12 * weights,
            "flops": batch * n_features * (1 + 4 * n_classes)}


def run_taylor_roofline(config: dict, profile: str, progress: bool = True) -> dict:
    """One training step of Eq. (3)'s order-4 model on 7x7 inputs (features, linear layer,
    cross-entropy, backward, Adam), timed, beside a roofline estimate from this machine's
    measured copy bandwidth and matmul throughput: how far the step is from the limit of
    the materialised-features path, and from that of a path that never writes them."""
    import math

    import torch
    import torch.nn.functional as F

    from .taylor import TaylorExpansion

    torch.manual_seed(config["seed"])
    batch = config["batch_size"]
    model = TaylorExpansion(config["n_vars"], config["order"], 10, expansion_point="mean")
    with torch.no_grad():
        model.weight.normal_(0, 1e-3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.rand(batch, config["n_vars"]), torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def features():
        with torch.no_grad():
            model.terms(x)

    # the same model and step with the top-degree terms contracted, never written
    factored = TaylorExpansion(config["n_vars"], config["order"], 10, expansion_point="mean",
                               contraction="factored")
    factored.load_state_dict(model.state_dict())
    factored_opt = torch.optim.Adam(factored.parameters(), lr=1e-3)

    def factored_step():
        factored_opt.zero_grad(set_to_none=True)
        F.cross_entropy(factored(x), y).backward()
        factored_opt.step()

    step_s, features_s = median_seconds(step, config["repeats"]), median_seconds(features, config["repeats"])
    factored_s = median_seconds(factored_step, config["repeats"])
    bandwidth, gflops = copy_bandwidth_gbs(config["bandwidth_mib"], config["repeats"]), matmul_gflops(
        config["matmul_n"], config["repeats"])
    traffic = taylor_step_traffic(batch, model.features.n_features)
    compute_s = traffic["flops"] / (gflops * 1e9)
    materialised_s = max((traffic["feature_bytes"] + traffic["weight_bytes"]) / (bandwidth * 1e9), compute_s)
    fused_s = max(traffic["weight_bytes"] / (bandwidth * 1e9), compute_s)
    steps = math.ceil(config["train_images"] / batch)
    if progress:
        print(f"step {1e3 * step_s:.1f} ms (roofline {1e3 * materialised_s:.1f} ms materialised, "
              f"{1e3 * fused_s:.1f} ms fused); {bandwidth:.1f} GB/s, {gflops:.0f} GFLOP/s", flush=True)
    return {
        "n_features": model.features.n_features, "batch_size": batch, "steps_per_epoch": steps,
        "step_seconds": step_s, "features_seconds": features_s,
        "features_roofline_seconds": 4.0 * batch * model.features.n_features / (bandwidth * 1e9),
        "bandwidth_gbs": bandwidth, "matmul_gflops": gflops, **traffic,
        "roofline_step_seconds": {"materialised": materialised_s, "fused": fused_s},
        "epoch_seconds": step_s * steps,
        "factored_step_seconds": factored_s, "factored_epoch_seconds": factored_s * steps,
        "roofline_epoch_seconds": {"materialised": materialised_s * steps, "fused": fused_s * steps},
        "torch_threads": torch.get_num_threads(),
    }


def claims_taylor_roofline(result: dict) -> dict[str, float]:
    """taylor_order4_epoch_seconds: the measured training steps of one epoch (no augmentation
    or evaluation), this machine."""
    out = {"taylor_order4_epoch_seconds": result["epoch_seconds"]}
    if "factored_step_seconds" in result:
        out["taylor_order4_factored_speedup"] = result["step_seconds"] / result["factored_step_seconds"]
    return out

if __name__ == "__main__":   # a rank of run_distill_shard: python -m cgcore.bench distill_shard_bench CONFIG OUT
    import json
    import sys

    if len(sys.argv) != 4 or sys.argv[1] != DISTILL_SHARD_BENCH:
        raise SystemExit(f"usage: python -m cgcore.bench {DISTILL_SHARD_BENCH} CONFIG_JSON OUT_PREFIX")
    distill_shard_worker(json.loads(sys.argv[2]), sys.argv[3])
