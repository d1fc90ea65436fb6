"""Sec. IV: the hierarchy, Eq. (5), the batched step, Eq. (S3) and reference classification."""

import math

import pytest
import torch
from torch import nn

from cgcore import distill
from cgcore.models import distill_convnet, resnet_small_input


class Identity1x1(nn.Module):
    """f(x) = the pixels of x, as a network with a parameter (embedding_stats needs a device)."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()), requires_grad=False)

    def forward(self, x):
        return x.flatten(1) + self.dummy


def test_eq5_against_a_hand_computed_case():
    # 1-d embeddings, two classes: Y = (0, 1); class 0 holds {0, 2}, class 1 holds {1}.
    # d00 = 0 + 4 = 4, d01 = 1, d10 = 1 + 1 = 2, d11 = 0; L = (19*4 - 1) + (19*0 - 2) = 73.
    images = torch.tensor([0.0, 2.0, 1.0]).view(3, 1, 1, 1)
    labels = torch.tensor([0, 0, 1])
    stats = distill.embedding_stats(Identity1x1(), images, labels, torch.zeros(3, dtype=torch.long), 1, 2)
    fy = torch.tensor([[[0.0], [1.0]]])
    d = distill.eq5_distances(fy, *stats)
    assert d.squeeze(0).tolist() == [[4.0, 1.0], [2.0, 0.0]]
    assert distill.eq5_loss(fy, *stats, lam=19).item() == pytest.approx(73.0)
    assert distill.eq5_loss(fy, *stats, lam=1).item() == pytest.approx(4 - 1 + 0 - 2)


def test_eq5_is_bounded_below_only_for_lambda_above_classes_minus_one():
    # Leading coefficient of |f(Y_a)|^2 is lam*m_a - sum_{b != a} m_b: with 3 equal classes, lam > 2.
    stats = (torch.ones(1, 3), torch.zeros(1, 3, 1), torch.zeros(1, 3))
    far = torch.full((1, 3, 1), 1e3)
    assert distill.eq5_loss(far, *stats, lam=2.5).item() > 0
    assert distill.eq5_loss(far, *stats, lam=1.5).item() < 0


def tiny_level(n_classes=3, per_class=12, sizes=(3, 2, 2), size=28, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n_classes * per_class, 1, size, size, generator=g)
    labels = torch.arange(n_classes).repeat_interleave(per_class)
    subset = distill.assign_level0(labels, n_classes, sizes, "exact", seed)
    return images, labels, subset


@pytest.mark.parametrize("loss", distill.LOSSES)
def test_batched_step_equals_the_per_subset_loop(loss):
    images, labels, subset = tiny_level()
    cfg = distill.DistillConfig(width=4, loss=loss, subset_chunk=3)
    net = distill.embedding_net(cfg, 1, 28, seed=1, device="cpu")
    terms = distill._real_terms(cfg, net, images, labels, subset, 4, 3)
    refs = distill.initial_references(images, labels, subset, 4, 3, "real").requires_grad_(True)
    batched = distill.distill_step(refs, net, terms, cfg)
    grad = refs.grad.clone()
    refs.grad = None
    looped = distill.distill_step_loop(refs, net, terms, cfg)
    assert batched == pytest.approx(looped, rel=1e-5)
    torch.testing.assert_close(grad, refs.grad, rtol=1e-4, atol=1e-6)
    assert grad.abs().sum() > 0


@pytest.mark.parametrize("loss", distill.LOSSES)
def test_each_subset_alone_gives_the_batched_gradient(loss):
    # Ref. 63's "fresh" step as the benchmark's loop runs it: every subset embeds only its
    # own real images; nothing couples the subsets, so the gradient is the batched one.
    images, labels, subset = tiny_level()
    cfg = distill.DistillConfig(width=4, loss=loss, subset_chunk=3)
    net = distill.embedding_net(cfg, 1, 28, seed=1, device="cpu")
    refs = distill.initial_references(images, labels, subset, 4, 3, "real").requires_grad_(True)
    distill.distill_step(refs, net, distill._real_terms(cfg, net, images, labels, subset, 4, 3), cfg)
    grad = refs.grad.clone()
    refs.grad = None
    for s in range(4):
        idx = torch.nonzero(subset == s).flatten()
        own = distill._real_terms(cfg, net, images[idx], labels[idx], torch.zeros_like(idx), 1, 3)
        distill.distill_step_loop(refs[s:s + 1], net, own, cfg)
    torch.testing.assert_close(grad, refs.grad, rtol=1e-4, atol=1e-6)


def test_level0_groups_exact_and_uneven():
    labels = torch.tensor([0] * 12 + [1] * 12)
    subset = distill.assign_level0(labels, 2, (3, 2, 2), "exact")
    counts = torch.bincount(subset * 2 + labels)
    assert counts.tolist() == [3] * 8
    uneven = torch.tensor([0] * 13 + [1] * 10)
    subset = distill.assign_level0(uneven, 2, (3, 2, 2), "uneven")
    per_group = torch.bincount(subset[uneven == 0], minlength=4)
    assert sorted(per_group.tolist()) == [3, 3, 3, 4] and (subset >= 0).all()
    sizes = torch.bincount(subset * 2 + uneven)             # every group of either class
    assert distill.level0_group_sizes([13, 10], 4) == (int(sizes.min()), int(sizes.max())) == (2, 4)


def test_group_sizes_that_do_not_divide_raise_clear_errors():
    labels = torch.tensor([0] * 13 + [1] * 12)
    with pytest.raises(ValueError, match=r"class 0 has 13 images, but group sizes \[3, 2, 2\] need exactly 12"):
        distill.assign_level0(labels, 2, (3, 2, 2), "exact")
    with pytest.raises(ValueError, match="fewer than the 4 groups"):
        distill.assign_level0(torch.tensor([0, 0, 0, 1, 1, 1, 1]), 2, (1, 2, 2), "uneven")
    with pytest.raises(ValueError, match="cannot be cut into groups of 4"):
        distill.next_level_subsets(6, 4)
    with pytest.raises(ValueError, match="positive integers"):
        distill.check_group_sizes([3, 0])
    with pytest.raises(ValueError, match="unknown level0 mode 'even'"):
        distill.assign_level0(labels, 2, (3, 2, 2), "even")


@pytest.mark.parametrize("bad, message", [
    ({"loss": "cosine"}, "unknown loss 'cosine'; accepted: euclidean, arcface"),
    ({"init": "zeros"}, "unknown init 'zeros'"),
    ({"lr": 0.0}, "lr > 0"),
    ({"pool_size": 0}, "pool_size must be None or >= 1"),
    ({"embed_precision": "float16"}, "unknown embed_precision 'float16'; accepted: float32, bfloat16"),
    ({"step_precision": "half"}, "unknown step_precision 'half'"),
])
def test_bad_distill_config_raises(bad, message):
    with pytest.raises(ValueError, match=message):
        distill.DistillConfig(**bad)


def test_hierarchy_shapes_and_level_by_level_resume(tmp_path, monkeypatch):
    images, labels, _ = tiny_level()
    cfgs = [distill.DistillConfig(iterations=2, width=4, pool_size=1)] * 3
    levels = distill.distill_hierarchy(images, labels, 3, (3, 2, 2), cfgs, checkpoint_dir=tmp_path,
                                       progress=False)
    assert [tuple(r.references.shape) for r in levels] == [(4, 3, 1, 28, 28), (2, 3, 1, 28, 28), (1, 3, 1, 28, 28)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["level1.pt", "level2.pt", "level3.pt"]
    (tmp_path / "level3.pt").unlink()
    calls = []
    real = distill.distill_level
    monkeypatch.setattr(distill, "distill_level", lambda *a, **k: calls.append(k["level"]) or real(*a, **k))
    again = distill.distill_hierarchy(images, labels, 3, (3, 2, 2), cfgs, checkpoint_dir=tmp_path, progress=False)
    assert calls == [3]
    torch.testing.assert_close(again[1].references, levels[1].references)


def test_distillation_lowers_eq5_on_real_mnist(mnist_pixels):
    images, labels = mnist_pixels
    cfg = distill.DistillConfig(iterations=15, width=8, pool_size=1, lr=0.05)
    subset = distill.assign_level0(labels, 10, (10, 2), "exact")
    level = distill.distill_level(images, labels, subset, 2, 10, cfg, progress=False)
    assert level.references.shape == (2, 10, 1, 28, 28)
    assert all(math.isfinite(v) for v in level.loss)
    assert level.loss[-1] < level.loss[0] - 0.1 * abs(level.loss[0])


def test_similarity_measures_on_a_hand_made_set():
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])  # normalised: e1, e2, (e1+e2)/sqrt2
    s, d = distill.similarity_measures(x)
    assert s == pytest.approx((0 + 2 / math.sqrt(2)) / 3)
    assert d == pytest.approx(2 - 2 * s)
    assert distill.similarity_measures(torch.ones(4, 1, 3, 3)) == pytest.approx((1.0, 0.0))
    with pytest.raises(ValueError, match="at least two images"):
        distill.similarity_measures(x[:1])


def test_nearest_reference_accuracy():
    refs = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    test = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.6, 0.4]])
    acc = distill.nearest_reference_accuracy(test, torch.tensor([0, 1, 1, 0]), refs, torch.tensor([0, 1]))
    assert acc == 0.75


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 3)])
def test_fig8_network_embeds_into_16_positions(size, channels):
    net = distill_convnet(channels, size, width=128)
    assert net(torch.zeros(2, channels, size, size)).shape == (2, 16 * 128)
    assert distill_convnet(channels, size, width=8, num_classes=10)(torch.zeros(1, channels, size, size)).shape == (1, 10)
    with pytest.raises(ValueError, match="28x28 or 32x32"):
        distill_convnet(channels, 7)


def test_resnet_backbone_for_small_images():
    model = resnet_small_input("resnet18", in_channels=1, num_classes=10, stem="small", stem_stride=2)
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="unknown arch 'resnet9'"):
        resnet_small_input("resnet9")


def test_unseen_network_scores_by_hand():
    # Identity embedding, one subset, two classes: class 0 holds {0, 2} (mean 1, spread 1),
    # class 1 holds {4, 6} (mean 5, spread 1).
    images = torch.tensor([0.0, 2.0, 4.0, 6.0]).view(4, 1, 1, 1)
    labels = torch.tensor([0, 0, 1, 1])
    subset = torch.zeros(4, dtype=torch.long)
    on_mean = torch.tensor([1.0, 5.0]).view(1, 2, 1, 1, 1)
    scores = distill.unseen_network_scores(on_mean, [Identity1x1()], images, labels, subset, lam=19)
    assert scores["gap_to_class_mean"] == pytest.approx(0.0)
    # d00 = 1 + 1, d01 = 9 + 25, d10 = 25 + 9, d11 = 1 + 1: L = 19*2 - 34 + 19*2 - 34 = 8
    assert scores["eq5_loss"] == pytest.approx(8.0)
    real = torch.tensor([2.0, 4.0]).view(1, 2, 1, 1, 1)       # a real image of each class
    assert distill.unseen_network_scores(real, [Identity1x1()], images, labels, subset)["gap_to_class_mean"] \
        == pytest.approx(1.0)


@pytest.mark.parametrize("channels_last", [False, True])
def test_bfloat16_embedding_matches_float32_within_tolerance(mnist_pixels, channels_last):
    """The fast path of the fresh-network embedding (bfloat16 autocast, NHWC) changes the
    statistics Eq. (5) needs by well under 2 % of their size."""
    images, labels = mnist_pixels
    subset = torch.arange(len(labels)) % 4
    stats = {}
    for precision in ("float32", "bfloat16"):
        cfg = distill.DistillConfig(width=32, embed_precision=precision, channels_last=channels_last)
        net = distill.embedding_net(cfg, 1, 28, 0, torch.device("cpu"))
        stats[precision] = distill.embedding_stats(net, images, labels, subset, 4, 10, 64, precision)
    (c32, s32, q32), (c16, s16, q16) = stats["float32"], stats["bfloat16"]
    assert torch.equal(c32, c16) and s16.dtype == torch.float32
    assert (s16 - s32).norm() / s32.norm() < 0.02
    assert (q16 - q32).abs().max() / q32.abs().max() < 0.02
    assert (s16 - s32).norm() > 0      # bfloat16 really ran


def test_high_frequency_fraction_separates_blur_from_noise():
    g = torch.Generator().manual_seed(0)
    noise = torch.rand(20, 1, 32, 32, generator=g)
    blurred = torch.nn.functional.avg_pool2d(noise, 5, 1, 2)
    smooth = torch.cos(torch.arange(32) * 2 * math.pi / 32).repeat(20, 1, 32, 1)   # one period per image
    hf_noise, hf_blur = distill.high_frequency_fraction(noise), distill.high_frequency_fraction(blurred)
    assert 0.7 < hf_noise < 0.9                     # white noise: the area beyond 1/4 cycle per pixel
    assert hf_blur < hf_noise / 3
    assert distill.high_frequency_fraction(smooth) < 0.05


def test_saturated_fraction_counts_pixels_at_or_beyond_the_ends():
    assert distill.saturated_fraction(torch.tensor([-0.5, 0.0, 0.3, 1.0, 1.2, 0.7])) == pytest.approx(4 / 6)


def test_class_centroids_are_the_best_single_reference_on_separable_data():
    emb = torch.nn.functional.normalize(torch.tensor([[1.0, 0.1], [1.0, -0.1], [0.1, 1.0], [-0.1, 1.0]]), dim=1)
    labels = torch.tensor([0, 0, 1, 1])
    centroids = distill.class_centroids(emb, labels, 2)
    assert centroids.shape == (2, 2)
    assert distill.nearest_reference_accuracy(emb, labels, centroids, torch.arange(2)) == 1.0


def test_flat_distribution_matching_is_reproducible_and_moves_towards_the_class_means(mnist_pixels):
    images, labels = mnist_pixels
    cfg = distill.DMConfig(iterations=30, width=16, batch_real=16, dsa_strategy="crop_scale", seed=1)
    first = distill.distribution_matching(images, labels, 10, cfg, progress=False)
    again = distill.distribution_matching(images, labels, 10, cfg, progress=False)
    assert first.references.shape == (1, 10, 1, 28, 28)
    assert torch.equal(first.references, again.references)
    start = distill.distribution_matching(images, labels, 10, distill.DMConfig(iterations=0, seed=1),
                                          progress=False).references
    nets = [distill.embedding_net(distill.DistillConfig(width=32), 1, 28, 500 + i, torch.device("cpu"))
            for i in range(4)]
    one_subset = torch.zeros_like(labels)
    before = distill.unseen_network_scores(start, nets, images, labels, one_subset)["gap_to_class_mean"]
    after = distill.unseen_network_scores(first.references, nets, images, labels, one_subset)["gap_to_class_mean"]
    assert after < 0.8 * before


def test_bad_dm_config_raises():
    with pytest.raises(ValueError, match="batch_real >= 1"):
        distill.DMConfig(batch_real=0)


def test_centroid_alignment_by_hand():
    centroids = torch.tensor([[2.0, 0.0], [0.0, 3.0]])               # normalised inside
    refs = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 0.2]]), dim=1)
    labels = torch.tensor([0, 1, 1])
    a = distill.centroid_alignment(refs, labels, centroids)
    own = torch.tensor([1.0, 2 ** -0.5, 0.2 / 1.04 ** 0.5])
    other = torch.tensor([0.0, 2 ** -0.5, 1 / 1.04 ** 0.5])
    assert a["cos_to_own_centroid"] == pytest.approx(own.mean().item(), abs=1e-6)
    assert a["margin"] == pytest.approx((own - other).mean().item(), abs=1e-6)
    assert a["nearest_centroid_is_own"] == pytest.approx(1 / 3)     # the tie counts for the first class


def test_mean_matching_is_the_large_lambda_limit_of_eq5():
    torch.manual_seed(0)
    fy = torch.randn(2, 3, 4)
    counts = torch.tensor([[2.0, 3.0, 4.0], [5.0, 1.0, 2.0]])
    sums, sq = torch.randn(2, 3, 4), torch.rand(2, 3) + 10
    mm = distill.mean_matching_loss(fy, counts, sums)
    by_hand = sum((fy[s, a] - sums[s, a] / counts[s, a]).pow(2).sum() for s in range(2) for a in range(3))
    assert mm.sum().item() == pytest.approx(by_hand.item(), rel=1e-5)
    # the gradient of Eq. (5) / (lambda m_a) approaches that of mean matching as lambda grows
    lam = 1e6
    g_eq5 = torch.autograd.grad(distill.eq5_loss(fy.requires_grad_(True), counts, sums, sq, lam=lam).sum(), fy)[0]
    g_mm = torch.autograd.grad(distill.mean_matching_loss(fy, counts, sums).sum(), fy)[0]
    torch.testing.assert_close(g_eq5 / (lam * counts[..., None]), g_mm, rtol=1e-3, atol=1e-4)


def test_siamese_augmentation_during_distillation(mnist_pixels):
    images, labels = mnist_pixels
    subset = (torch.arange(len(labels)) // 10) % 2          # the fixture's labels cycle through the classes
    cfg = distill.DistillConfig(iterations=3, width=8, dsa_strategy="crop_scale_rotate", subset_chunk=1)
    a = distill.distill_level(images, labels, subset, 2, 10, cfg, progress=False)
    b = distill.distill_level(images, labels, subset, 2, 10, cfg, progress=False)
    plain = distill.distill_level(images, labels, subset, 2, 10,
                                  distill.DistillConfig(iterations=3, width=8, subset_chunk=1), progress=False)
    assert torch.equal(a.references, b.references)            # the draws are a function of the seed
    assert not torch.equal(a.references, plain.references)
    # one draw per iteration: the wrapped network transforms any two batches alike
    net = distill.SiameseAugmented(torch.nn.Identity(), "rotate", seed=4)
    x = images[:6]
    assert torch.equal(net(x)[:3], net(x[:3]))
    with pytest.raises(ValueError, match="dsa_strategy needs a fresh network every iteration"):
        distill.DistillConfig(dsa_strategy="crop", pool_size=4)
    with pytest.raises(ValueError, match="unknown DSA transformation 'blur'"):
        distill.DistillConfig(dsa_strategy="blur")


def test_a_fixed_network_embeds_every_iteration(mnist_pixels):
    """fixed_net (a trained backbone in the ablation) replaces the random networks: with the
    pixels as the embedding, lambda -> infinity pulls each reference to its class's mean image."""
    images, labels = mnist_pixels
    subset = torch.zeros_like(labels)
    cfg = distill.DistillConfig(iterations=200, lr=0.05, loss="mean_matching", init="noise")
    level = distill.distill_level(images, labels, subset, 1, 10, cfg, progress=False, fixed_net=Identity1x1())
    means = torch.stack([images[labels == c].mean(0) for c in range(10)])
    assert (level.references[0] - means).abs().mean() < 0.01
    # a random network would not get there: the same run without fixed_net stays far away
    random = distill.distill_level(images, labels, subset, 1, 10, distill.DistillConfig(
        iterations=20, lr=0.05, loss="mean_matching", init="noise", width=8), progress=False)
    assert (random.references[0] - means).abs().mean() > 0.5
    with pytest.raises(ValueError, match="cannot be combined with dsa_strategy"):
        distill.distill_level(images, labels, subset, 1, 10, distill.DistillConfig(dsa_strategy="crop"),
                              progress=False, fixed_net=Identity1x1())


def test_compiled_embedding_matches_eager_and_compiles_once_for_fresh_networks(mnist_pixels):
    """torch.compile of the real images' forward pass: the same embeddings as the eager
    network (float32, within rounding), and a new network of the same architecture reuses
    the compiled graph instead of compiling again."""
    import torch._dynamo

    images = mnist_pixels[0][:64]
    torch._dynamo.reset()
    distill._COMPILED_FORWARD = None
    counts = torch._dynamo.utils.counters
    counts.clear()
    for seed in range(3):
        net = distill.embedding_net(distill.DistillConfig(width=8), 1, 28, seed, "cpu")
        eager = distill.embed_real(net, images, 32)
        compiled = distill.embed_real(net, images, 32, compiled=True)
        assert torch.allclose(eager, compiled, atol=1e-5)
    assert counts["stats"]["unique_graphs"] == 1
