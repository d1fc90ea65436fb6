"""The paper's own numbers: the only hand-typed values in the book.

Every entry is a claim of Yang, Xie & Yang, with the place it is stated, except the
few marked "Ref. 63": published figures of distribution matching (Zhao & Bilen, the
paper's Ref. 63), the distillation literature's yardstick the book adds beside the paper. Accuracies
are fractions (0.98, not 98 %). ``value=None`` marks a claim the paper makes only in a
figure whose numbers the text does not give; the scorecard shows ours with an empty
paper column.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    claim: str
    value: float | None
    unit: str
    source: str
    note: str = ""


CLAIMS: tuple[Claim, ...] = (
    # --- Sec. III, direct Taylor expansion (Eq. 3, Fig. 2) on 7x7 MNIST
    Claim("taylor_order1_acc", None, "fraction", "Fig. 2", "plotted only; no number in the text"),
    Claim("taylor_order2_acc", None, "fraction", "Fig. 2", "plotted only; no number in the text"),
    Claim("taylor_order3_acc", None, "fraction", "Fig. 2", "plotted only; no number in the text"),
    (_ORDER4 := Claim("taylor_order4_acc", 0.98, "fraction", "Sec. III, Fig. 2", "'about 98%'; ours: the chapter's "
                                                                                "gradient fit of Eq. (3), SGD in the "
                                                                                "kernel's weighting")),
    Claim("taylor_order4_chosen_acc", _ORDER4.value, "fraction", "Sec. III, Fig. 2",
          "the paper's 'about 98%' again; ours: the fit of Eq. (3) at order 4 that validation picks among the "
          "gradient fits of taylor_order4_tuning and taylor_kernel_geometry and the max-margin machines of "
          "taylor_kernel_svm, taylor_kernel_copies and taylor_kernel_copies3"),
    Claim("taylor_order4_terms", 293_000, "count", "Sec. III",
          "'about 293 thousand'; the exact count is C(53,4) = 292,825"),
    Claim("taylor_order4_params", 1_460_000, "count", "Sec. III (TaylorNet paragraph)",
          "'the original Taylor expansions (1.46 million)'; matches neither 292,825 nor 10x that, but is "
          "half of 10x that: N0 after the halving that leaves the accuracy unchanged (Sec. III)"),
    Claim("taylor_prune50_acc", 0.98, "fraction", "Sec. III",
          "'the accuracy remains unchanged when N0 is reduced by half'"),
    Claim("taylor_prune30_acc", 0.98 - 0.0083, "fraction", "Sec. III",
          "'drops only by 0.83 percent when N0 is reduced to 30%'"),
    Claim("taylor_prune10_acc", 0.85, "fraction", "Sec. III", "'about 85%' at 10% of N0"),
    *(Claim(f"taylor_prune{k}_centred_acc", None, "fraction", "(ours)",
            f"order 4 with {k}% of the weights, each dropped term replaced by its training mean "
            "(the re-centred reading; the paper's claims above drop the coefficient)") for k in (50, 30, 10)),
    Claim("train_bf16_speedup", None, "ratio", "(ours)",
          "one training step of the Fig. 12 TaylorNet, float32 time / bfloat16 autocast with NHWC; "
          "no paper value"),
    Claim("distill_torchrun_speedup", None, "ratio", "(ours)",
          "one distillation level on a sample of MNIST's level-1 subsets: one process's wall time "
          "over that of torchrun with 2 gloo ranks on the same 2 cores; no paper value"),
    *(Claim(f"{net}_degree", None, "count", "(ours)",
            f"highest degree of the trained {net.replace('taylornet_', '')} TaylorNet's logits along rays between test "
            "images, above the floor of rounding noise; a network with L CG layers is a polynomial of degree 2^L")
      for net in ("taylornet_mnist", "taylornet_mnist7")),
    *(Claim(f"{twin}_{ds}_acc", None, "fraction", "(ours)",
            f"{what} of the {ds} TaylorNet's parameter count, trained with its data and recipe")
      for twin, what in (("relu_cnn", "ReLU CNN in the TaylorNet's layout (each CG a convolution and a ReLU)"),
                         ("pinet", "Π-net-style polynomial network (CCP blocks) of the TaylorNet's degree"))
      for ds in ("mnist", "mnist7", "cifar10", "fashion")),
    Claim("taylornet_float32_mnist_acc", None, "fraction", "(ours)",
          "Fig. 5's TaylorNet trained in float32 with NCHW activations, otherwise as taylornet_mnist_acc "
          "(bfloat16 autocast with NHWC)"),
    Claim("taylornet_tuned_mnist_acc", None, "fraction", "(ours)",
          "Fig. 5's TaylorNet with the recipe chosen on a validation split (in bfloat16: 15 epochs with or "
          "without small affine augmentation, or 30 with label smoothing and either that augmentation or a "
          "stronger one with weight decay 1e-3): the candidate best on validation, refit with the same seed on "
          "all 60,000 training images, its test accuracy"),
    Claim("taylornet_longer_mnist_acc", None, "fraction", "(ours)",
          "taylornet_tuned_mnist_acc's recipe trained for twice its epochs on the training set less the "
          "validation split (not refit): its test accuracy; its validation accuracy says whether a longer "
          "recipe would have been chosen"),
    Claim("taylornet_averaged_mnist_acc", None, "fraction", "(ours)",
          "taylornet_tuned_mnist_acc's recipe, weights averaged (decay 0.9995), refit"),
    Claim("taylornet_averaged_raw_mnist_acc", None, "fraction", "(ours)", "the same refit's trained weights"),
    Claim("taylornet_averaged_before_refit_mnist_acc", None, "fraction", "(ours)",
          "taylornet_averaged_mnist_acc's network before the refit"),
    Claim("taylornet_averaged_raw_before_refit_mnist_acc", None, "fraction", "(ours)",
          "its trained weights, before the refit"),
    Claim("taylornet_tta_mnist_acc", None, "fraction", "(ours)",
          "the averaging run's refit, weights and test-time copies (0-16) chosen on validation"),
    Claim("taylornet_tuned_before_refit_mnist_acc", None, "fraction", "(ours)",
          "taylornet_tuned_mnist_acc's recipe as the tuning run trained it, on the training set less the "
          "validation split, before the refit: its test accuracy"),
    *(Claim(f"taylor_order{d}_kernel_acc", None, "fraction", "(ours)",
            f"Eq. (3)'s polynomials of degree <= {d} fit by polynomial-kernel SVMs on the same 7x7 images, one "
            "per class against the rest (Eq. (3)'s ten outputs), no augmentation, C chosen on a validation split: "
            "the test accuracy") for d in (2, 3, 4)),
    *(Claim(f"taylor_order{d}_kernel_augmented_acc", None, "fraction", "(ours)",
            f"as taylor_order{d}_kernel_acc, the machines fit on the training images plus one copy of each under "
            "the chapter's augmentation (120,000 images), C chosen on a validation split: the test accuracy")
      for d in (3, 4)),
    *(Claim(f"taylor_order{d}_kernel_gamma_acc", None, "fraction", "(ours)",
            f"as taylor_order{d}_kernel_acc (no augmentation), with the kernel's scale gamma chosen on the "
            "validation split beside C (experiment taylor_kernel_gamma): the test accuracy") for d in (3, 4)),
    *(Claim(f"taylor_order{d}_kernel_copies_acc", None, "fraction", "(ours)",
            f"as taylor_order{d}_kernel_augmented_acc, the machines fit on the training images plus two copies of "
            "each under the chapter's augmentation (180,000 images; experiment taylor_kernel_copies), C chosen on "
            "a validation split: the test accuracy") for d in (3, 4)),
    *(Claim(f"taylor_order{d}_kernel_copies3_acc", None, "fraction", "(ours)",
            f"as taylor_order{d}_kernel_copies_acc with three augmented copies (240,000 images; experiment "
            "taylor_kernel_copies3), at the C validation chose with 0, 1 and 2 copies: the test accuracy")
      for d in (3, 4)),
    *(Claim(f"taylor_prune{k}_kernel_acc", None, "fraction", "(ours)",
            f"taylor_order4_kernel_augmented_acc's machines written as Eq. (3), {k}% of their standardised weights "
            f"kept and the coefficients of the others dropped, as taylor_prune{k}_acc prunes the chapter's fit")
      for k in (50, 30, 10)),
    Claim("taylor_order3_first_fit_acc", None, "fraction", "(ours)",
          "order 3 of Eq. (3) in the chapter's first fit, one weight per standardised term trained by Adam "
          "(experiment taylor_first_fit), on all training images for the length validation picked for it: the "
          "test accuracy"),
    Claim("taylor_order4_first_fit_acc", _ORDER4.value, "fraction", "Sec. III, Fig. 2",
          "the paper's 'about 98%' again; ours: order 4 fit as taylor_order3_first_fit_acc"),
    Claim("taylor_order4_tuned_acc", None, "fraction", "(ours)",
          "order 4 of Eq. (3)'s first fit with the training setting chosen on a validation split (optimizer, weight decay, "
          "learning rate, augmentation, degree scale, loss; 12 epochs on the training set less the split): the test accuracy of "
          "the candidate best on validation"),
    *(Claim(f"{claim}_{stat}", None, "fraction", "(ours)",
            f"{what} of {claim} over seeds 0, 1 and 2 (experiment seeds_{experiment})")
      for claim, experiment in (("taylornet_mnist7_acc", "taylornet_mnist7"), ("relu_cnn_mnist7_acc", "baselines_mnist7"),
                                ("pinet_mnist7_acc", "baselines_mnist7"),
                                *((f"taylor_order{order}_acc", "taylor_expansion") for order in (1, 2, 3, 4)),
                                *((f"distill_{what}_mnist_acc", "distillation_mnist")
                                  for what in ("ref", "classmean", "random")))
      for stat, what in (("mean", "the mean"), ("std", "the sample standard deviation"))),
    Claim("taylornet_fashion_acc", None, "fraction", "(ours)",
          "Fig. 5's TaylorNet on Fashion-MNIST, a data set the paper does not use, with MNIST's recipe"),
    Claim("taylornet_mnist7_quadratic_local_share", None, "fraction", "(ours)",
          "share of the largest fifth of the trained 7x7 TaylorNet's quadratic coefficients (at the mean image) "
          "that sits on pixel pairs at distance <= 1.5; compare the direct expansion's on the Taylor chapter"),
    Claim("taylor_order4_epoch_seconds", None, "seconds", "(ours)",
          "one epoch of order-4 training steps of Eq. (3) on 60,000 7x7 images (batch 128, Adam), measured; "
          "the benchmarks appendix sets it beside a roofline from this machine's bandwidth; no paper value"),
    Claim("taylor_order4_factored_speedup", None, "ratio", "(ours)",
          "an order-4 training step of Eq. (3) with the features written, over the same step with the "
          "top-degree terms contracted as they are formed (taylor.TopDegreeContraction); no paper value"),
    Claim("taylor_features_speedup", None, "ratio", "(ours)",
          "scikit-learn PolynomialFeatures time / cgcore time; no paper value"),
    Claim("resnet_mnist7_acc", 0.99, "fraction", "Sec. III", "'about 99%' with 1.3 M parameters"),
    Claim("resnet_mnist7_params", 1_300_000, "count", "Sec. III", "'1.3 million parameters'"),
    # --- Sec. III, TaylorNet (Figs. 5 and 12) and its CG -> conv ablation
    Claim("taylornet_mnist_acc", 0.992, "fraction", "Sec. III, Fig. 5",
          "'The obtained accuracy is about 99.2%'; no parameter count given for Fig. 5"),
    Claim("taylornet_after_cg2_mnist_acc", None, "fraction", "(ours)",
          "the other reading of Fig. 5: both diCGs after CG2, with dilations (3, 2) instead of "
          "the caption's (7, 3), which do not fit there"),
    Claim("taylornet_mnist7_acc", 0.979, "fraction", "Sec. III",
          "'about 97.9% with about 248 thousand parameters' on 7x7 MNIST; the network is not drawn"),
    Claim("taylornet_mnist7_params", 248_000, "count", "Sec. III", "'about 248 thousand parameters in total'"),
    Claim("taylornet_cifar10_acc", 0.717, "fraction", "Sec. III, Fig. 12 (App. C)", "'about 71.7%'"),
    Claim("taylornet_cifar10_params", 1_200_000, "count", "Sec. III, Fig. 12 (App. C)",
          "'with only 1.2 million parameters'"),
    Claim("conv_ablation_mnist_acc", 0.992 - 0.073, "fraction", "Sec. III",
          "'the accuracy will drop by about 7.3% and 30% immediately ... on MNIST and CIFAR-10'; "
          "read as percentage points below 99.2%. Ambiguous: a relative drop would give "
          "0.992 x 0.927 = 91.96%, almost the same here"),
    Claim("conv_ablation_mnist7_acc", None, "fraction", "Sec. III",
          "not stated: the ablation is reported for MNIST and CIFAR-10 only"),
    Claim("conv_ablation_cifar10_acc", 0.717 - 0.30, "fraction", "Sec. III",
          "'drop by about ... 30%' read as percentage points below 71.7%. Ambiguous: a relative "
          "drop would give 0.717 x 0.70 = 50.2%; an all-conv network without activations is "
          "affine in its input, i.e. a linear classifier"),
    # --- Sec. IV, multi-level distillation (Figs. 7-9) and classification by references
    *(Claim(f"similarity_s_rises_{ds}", 1.0, "fraction", f"Supplement E, Fig. {fig}",
            "'in all the classes in both MNIST and CIFAR-10 datasets, the cosine similarity goes up roughly as "
            "the distillation level becomes higher': ours is the share of classes whose s at the last level "
            "measured is above level 0's")
      for ds, fig in (("mnist", "S5"), ("cifar10", "S6"))),
    *(Claim(f"similarity_d_falls_{ds}", 1.0, "fraction", f"Supplement E, Fig. {fig}",
            "'... while the Euclidean distance goes down systematically': ours is the share of classes whose d "
            "at the last level measured is below level 0's")
      for ds, fig in (("mnist", "S5"), ("cifar10", "S6"))),
    Claim("distill_ref_mnist_acc", 0.987, "fraction", "Sec. IV",
          "'test accuracies of about 98.7% and 86.9% for MNIST and CIFAR-10': ResNet18 embeddings, "
          "nearest D5 reference by angle"),
    Claim("distill_ref_cifar10_acc", 0.869, "fraction", "Sec. IV", "'86.9%', ResNet50 embeddings"),
    *(Claim(f"distill_ref_in_backbone_{ds}_acc", value, "fraction", "Sec. IV (f read as the backbone)",
            f"'{value:.1%}': the same claim as distill_ref_{ds}_acc, with Eq. (5)'s f read as the trained "
            "backbone that judges the references rather than Fig. 8's random ConvNet")
      for ds, value in (("mnist", 0.987), ("cifar10", 0.869))),
    *(Claim(f"distill_convnet_in_backbone_{ds}_acc", None, "fraction", "(ours)",
            "Fig. 8's ConvNet trained on the D5 references distilled in the backbone's embedding "
            "(Ref. 63's evaluation protocol)")
      for ds in ("mnist", "cifar10")),
    Claim("distill_arcface_mnist_acc", 0.99, "fraction", "Sec. IV",
          "'A preliminary experiment utilizing this lost function [ArcFace] can produce an accuracy "
          "of about 99% for MNIST, and 89% for CIFAR-10'"),
    Claim("distill_arcface_cifar10_acc", 0.89, "fraction", "Sec. IV", "'89% for CIFAR-10' (ArcFace)"),
    Claim("distill_backbone_mnist_acc", None, "fraction", "Sec. IV",
          "the ResNet18's own test accuracy is not given"),
    Claim("distill_backbone_cifar10_acc", None, "fraction", "Sec. IV",
          "the ResNet50's own test accuracy is not given"),
    Claim("distill_classmean_mnist_acc", None, "fraction", "(ours)",
          "the class-mean image as the reference: a trivial baseline the paper does not report"),
    Claim("distill_classmean_cifar10_acc", None, "fraction", "(ours)",
          "the class-mean image as the reference: a trivial baseline the paper does not report"),
    Claim("distill_random_mnist_acc", None, "fraction", "(ours)",
          "one random real training image per class as the reference: the baseline distillation must beat"),
    Claim("distill_random_cifar10_acc", None, "fraction", "(ours)",
          "one random real training image per class as the reference: the baseline distillation must beat"),
    Claim("distill_ceiling_mnist_acc", None, "fraction", "(ours)",
          "the mean embedding of each class's training images as the reference: the best one "
          "reference per class can do in this backbone's embedding"),
    Claim("distill_ceiling_cifar10_acc", None, "fraction", "(ours)",
          "the mean embedding of each class's training images as the reference: the best one "
          "reference per class can do in this backbone's embedding"),
    Claim("distill_convnet_1ipc_mnist_acc", 0.897, "fraction", "Ref. 63 (not this paper)",
          "distribution matching, ConvNet trained on 1 image per class: 89.7% (Zhao & Bilen, Table 1)"),
    Claim("distill_convnet_1ipc_cifar10_acc", 0.260, "fraction", "Ref. 63 (not this paper)",
          "distribution matching, 1 image per class: 26.0% (48.9% at 10 per class), Zhao & Bilen"),
    Claim("distill_dm_flat_1ipc_mnist_acc", 0.897, "fraction", "Ref. 63 (not this paper)",
          "Ref. 63's own method (distribution matching, one level, 1 image per class) re-implemented here: "
          "89.7% in its paper"),
    Claim("distill_dm_flat_1ipc_cifar10_acc", 0.260, "fraction", "Ref. 63 (not this paper)",
          "Ref. 63's own method re-implemented here: 26.0% in its paper"),
    Claim("distill_batched_speedup", None, "ratio", "(ours)",
          "one distillation iteration over all subsets of MNIST level 1 with a fresh network: "
          "per-subset loop time / batched time; no paper value"),
    Claim("distill_fresh_embed_speedup", None, "ratio", "(ours)",
          "real images embedded per second by a fresh width-32 Fig. 8 network with the cpu profile's "
          "setting (torch.compile, float32) / in float32 eager mode; no paper value"),
    Claim("cg_vs_conv_time_ratio", None, "ratio", "(ours)",
          "forward+backward time of Fig. 5's CG1 (factorised, rank 1) / a Conv2d of the same "
          "shape; no paper value"),
)

# Fig. 10 (= Fig. S1): the nonzero entries of W in z = a W b^T (App. A), as printed: rows
# are the b-terms (x3, x4), columns the a-terms (x1, x2), both in the order of Eq. (A2);
# the caption marks nonzero entries by 1, so the blank cells of the printed matrix are 0.
FIG_S1_PATTERN = (
    "111111111111111",
    "111001100100000",
    "111001100100000",
    "100000000000000",
    "100000000000000",
    "111001100100000",
    "111001100100000",
    "100000000000000",
    "100000000000000",
    "111001100100000",
    "100000000000000",
    "100000000000000",
    "100000000000000",
    "100000000000000",
    "100000000000000",
)
# The entries Fig. S1 boxes in red, "the ones showing up in the convolution operations",
# as (row, column) of the printed matrix: 1, x1, x2 in the first row and x3, x4 in the first column.
FIG_S1_BOXED = ((0, 0), (0, 1), (0, 5), (1, 0), (5, 0))

PAPER = {c.claim: c for c in CLAIMS}

# A phrase for every claim, for the scorecard's readers (the ids stay for scripts).
LABELS = {
    "taylor_order1_acc": "direct Taylor expansion, order 1, 7×7 MNIST",
    "taylor_order2_acc": "direct Taylor expansion, order 2, 7×7 MNIST",
    "taylor_order3_acc": "direct Taylor expansion, order 3, 7×7 MNIST",
    "taylor_order4_acc": "direct Taylor expansion, order 4, 7×7 MNIST, SGD in the kernel's weighting",
    "taylor_order4_chosen_acc": "direct Taylor expansion, order 4, 7×7 MNIST, fit chosen on validation",
    "taylor_order4_tuned_acc": "direct Taylor expansion, order 4, first fit's setting chosen on validation",
    **{f"taylor_order{d}_first_fit_acc": f"direct Taylor expansion, order {d}, first fit (standardised terms, Adam)"
       for d in (3, 4)},
    **{f"taylor_order{d}_kernel_acc": f"polynomial-kernel SVMs of degree {d}, one per class, 7×7 MNIST"
       for d in (2, 3, 4)},
    **{f"taylor_order{d}_kernel_augmented_acc": f"polynomial-kernel SVMs of degree {d}, one per class, with an "
                                                "augmented copy" for d in (3, 4)},
    **{f"taylor_order{d}_kernel_gamma_acc": f"polynomial-kernel SVMs of degree {d}, one per class, γ chosen on "
                                            "validation" for d in (3, 4)},
    **{f"taylor_order{d}_kernel_copies_acc": f"polynomial-kernel SVMs of degree {d}, one per class, with two "
                                             "augmented copies" for d in (3, 4)},
    **{f"taylor_order{d}_kernel_copies3_acc": f"polynomial-kernel SVMs of degree {d}, one per class, with three "
                                              "augmented copies" for d in (3, 4)},
    "taylor_order4_terms": "number of monomials of order ≤ 4 in 49 pixels",
    "taylor_order4_params": "parameters of the order-4 expansion",
    "taylor_prune50_acc": "order 4, half of the weights kept",
    "taylor_prune30_acc": "order 4, 30 % of the weights kept",
    "taylor_prune10_acc": "order 4, 10 % of the weights kept",
    "taylor_prune50_centred_acc": "order 4, half kept, dropped terms re-centred",
    "taylor_prune30_centred_acc": "order 4, 30 % kept, dropped terms re-centred",
    "taylor_prune10_centred_acc": "order 4, 10 % kept, dropped terms re-centred",
    **{f"taylor_prune{k}_kernel_acc": f"order-4 kernel SVMs as Eq. (3), {k} % of the weights kept"
       for k in (50, 30, 10)},
    "taylor_features_speedup": "monomial features: speed against scikit-learn",
    "taylor_order4_epoch_seconds": "order-4 Taylor training: seconds per epoch of steps",
    "taylor_order4_factored_speedup": "order-4 Taylor step: top degree contracted, never written",
    "train_bf16_speedup": "TaylorNet training step: bfloat16 + NHWC against float32",
    "taylornet_mnist_degree": "trained Fig. 5 TaylorNet: degree along rays",
    **{f"{twin}_{ds}_acc": f"{what}, {name}, TaylorNet's size"
       for twin, what in (("relu_cnn", "ReLU CNN"), ("pinet", "Π-net (CCP)"))
       for ds, name in (("mnist", "MNIST"), ("mnist7", "7×7 MNIST"), ("cifar10", "CIFAR-10"),
                        ("fashion", "Fashion-MNIST"))},
    **{f"{claim}_{stat}": f"{name}, {what} over seeds"
       for claim, name in (("taylornet_mnist7_acc", "TaylorNet, 7×7 MNIST"), ("relu_cnn_mnist7_acc", "ReLU CNN twin, 7×7 MNIST"),
                           ("pinet_mnist7_acc", "Π-net twin, 7×7 MNIST"),
                           *((f"taylor_order{order}_acc", f"Taylor order {order}, 7×7 MNIST") for order in (1, 2, 3, 4)),
                           ("distill_ref_mnist_acc", "MNIST D5 references"),
                           ("distill_classmean_mnist_acc", "MNIST class-mean image"),
                           ("distill_random_mnist_acc", "MNIST one random real image"))
       for stat, what in (("mean", "mean"), ("std", "std"))},
    "taylornet_fashion_acc": "TaylorNet of Fig. 5, Fashion-MNIST",
    "taylornet_longer_mnist_acc": "TaylorNet of Fig. 5, chosen recipe trained twice as long",
    **{f"similarity_{m}_{ds}": f"classes whose {what}, {name}"
       for m, what in (("s_rises", "cosine similarity s rises"), ("d_falls", "distance d falls"))
       for ds, name in (("mnist", "MNIST"), ("cifar10", "CIFAR-10"))},
    "taylornet_float32_mnist_acc": "TaylorNet of Fig. 5, MNIST, trained in float32",
    "taylornet_tuned_mnist_acc": "TaylorNet of Fig. 5, MNIST, recipe chosen on validation",
    "taylornet_tuned_before_refit_mnist_acc": "... that recipe before its refit on all training images",
    "taylornet_averaged_mnist_acc": "TaylorNet of Fig. 5, chosen recipe, weights averaged",
    "taylornet_averaged_raw_mnist_acc": "... the same run's trained weights, not averaged",
    "taylornet_tta_mnist_acc": "TaylorNet of Fig. 5, chosen recipe, test-time augmentation",
    "taylornet_averaged_before_refit_mnist_acc": "... weights averaged, before the refit",
    "taylornet_averaged_raw_before_refit_mnist_acc": "... its trained weights, before the refit",
    "taylornet_mnist7_degree": "trained 7×7 TaylorNet: degree along rays",
    "taylornet_mnist7_quadratic_local_share": "trained 7×7 TaylorNet: large quadratic weights on near pairs",
    "distill_torchrun_speedup": "distillation level: 2 torchrun ranks against one process",
    "resnet_mnist7_acc": "residual network, 7×7 MNIST",
    "resnet_mnist7_params": "residual network's parameters (our design)",
    "taylornet_mnist_acc": "TaylorNet of Fig. 5, MNIST",
    "taylornet_after_cg2_mnist_acc": "Fig. 5 read with the diCGs after CG2, MNIST",
    "taylornet_mnist7_acc": "TaylorNet, 7×7 MNIST",
    "taylornet_mnist7_params": "7×7 TaylorNet's parameters (our design)",
    "taylornet_cifar10_acc": "TaylorNet of Fig. 12, CIFAR-10",
    "taylornet_cifar10_params": "Fig. 12 TaylorNet's parameters (CG form chosen by count)",
    "conv_ablation_mnist_acc": "every CG replaced by a convolution, MNIST",
    "conv_ablation_mnist7_acc": "every CG replaced by a convolution, 7×7 MNIST",
    "conv_ablation_cifar10_acc": "every CG replaced by a convolution, CIFAR-10",
    "distill_ref_mnist_acc": "D5 references classify MNIST (Eq. 5)",
    "distill_ref_cifar10_acc": "D5 references classify CIFAR-10 (Eq. 5)",
    "distill_ref_in_backbone_mnist_acc": "D5 references distilled in the backbone, MNIST (Eq. 5)",
    "distill_ref_in_backbone_cifar10_acc": "D5 references distilled in the backbone, CIFAR-10 (Eq. 5)",
    "distill_convnet_in_backbone_mnist_acc": "ConvNet trained on the in-backbone D5 images, MNIST",
    "distill_convnet_in_backbone_cifar10_acc": "ConvNet trained on the in-backbone D5 images, CIFAR-10",
    "distill_arcface_mnist_acc": "D5 references classify MNIST (ArcFace loss)",
    "distill_arcface_cifar10_acc": "D5 references classify CIFAR-10 (ArcFace loss)",
    "distill_backbone_mnist_acc": "MNIST backbone's own test accuracy",
    "distill_backbone_cifar10_acc": "CIFAR-10 backbone's own test accuracy",
    "distill_classmean_mnist_acc": "class-mean image as the reference, MNIST",
    "distill_classmean_cifar10_acc": "class-mean image as the reference, CIFAR-10",
    "distill_random_mnist_acc": "one random real image as the reference, MNIST",
    "distill_random_cifar10_acc": "one random real image as the reference, CIFAR-10",
    "distill_ceiling_mnist_acc": "class centroids in the embedding (ceiling), MNIST",
    "distill_ceiling_cifar10_acc": "class centroids in the embedding (ceiling), CIFAR-10",
    "distill_convnet_1ipc_mnist_acc": "ConvNet trained on the D5 images alone, MNIST",
    "distill_convnet_1ipc_cifar10_acc": "ConvNet trained on the D5 images alone, CIFAR-10",
    "distill_dm_flat_1ipc_mnist_acc": "Ref. 63's method re-implemented, 1 image per class, MNIST",
    "distill_dm_flat_1ipc_cifar10_acc": "Ref. 63's method re-implemented, 1 image per class, CIFAR-10",
    "distill_batched_speedup": "distillation step: all subsets batched against a loop",
    "distill_fresh_embed_speedup": "fresh-network embedding: fast settings against float32",
    "cg_vs_conv_time_ratio": "CG layer time against a convolution of the same shape",
}

# Counts that a network of ours was built to hit: matching them reproduces nothing.
SIZED_TO_MATCH = frozenset({"resnet_mnist7_params", "taylornet_mnist7_params"})
# Counts of a network the paper draws, where an option the paper leaves open (the CG's
# parameterisation) was chosen as the one whose count comes closest: judged by the count
# rule, with that said beside the verdict, since the count helped pick the option.
CHOSEN_BY_COUNT = frozenset({"taylornet_cifar10_params"})
# Ref. 63's published accuracies set beside a method of ours that is not Ref. 63's (a ConvNet
# trained on the hierarchy's references): a yardstick, so ours is above, near or below it,
# never a reproduction of it. (Ref. 63's own method re-implemented is a reproduction.)
YARDSTICKS = frozenset({"distill_convnet_1ipc_mnist_acc", "distill_convnet_1ipc_cifar10_acc"})
# Claims about an ablation's accuracy: being above the paper is no more a match than below.
# The paper's 10 % pruning is a loss (about 98 % to about 85 %): a model that loses far less
# does not show it either.
TWO_SIDED = frozenset({"conv_ablation_mnist_acc", "conv_ablation_cifar10_acc", "taylor_prune10_acc"})
# Claims the paper makes as a change from its full order-4 model ("remains unchanged when N0
# is reduced by half", "drops only by 0.83 percent", "about 85%" where the full model has
# about 98 %): the scorecard judges ours as the same change from our full model.
RELATIVE_TO = {f"taylor_prune{k}_acc": "taylor_order4_acc" for k in (50, 30, 10)}


# Every CIFAR-10 number of ours is measured on a copy re-encoded as JPEG (quality 75; see
# the book's intro), so its label says so wherever it is shown.
CIFAR10_CAVEAT = "on the JPEG (q75) copy"
# The paper judges CIFAR-10's references in a ResNet50's embedding; a profile may train
# another backbone (cgcore.profiles: distillation_cifar10's), and the verdicts of these
# claims then say so (cgcore.report.backbone_caveat).
BACKBONE_CLAIMS = frozenset({"distill_ref_cifar10_acc", "distill_arcface_cifar10_acc",
                             "distill_ref_in_backbone_cifar10_acc"})


def claim_label(claim: str) -> str:
    """The phrase shown for ``claim`` (its id when it has none), with the JPEG caveat for
    CIFAR-10 claims that are measured rather than counted."""
    label = LABELS.get(claim, claim)
    return label + (f" ({CIFAR10_CAVEAT})" if carries_cifar10_caveat(claim) else "")


def from_ref63(claim: str) -> bool:
    """Whether ``claim``'s value is Ref. 63's published figure, not this paper's."""
    return claim in PAPER and PAPER[claim].source.startswith("Ref. 63")


def carries_cifar10_caveat(claim: str) -> bool:
    """Whether ``claim`` is measured on CIFAR-10 (so on the JPEG copy), not counted."""
    return "cifar10" in claim and not claim.endswith("_params")


def paper_value(claim: str, required: bool = True) -> float | None:
    """The paper's number for ``claim`` (None where the paper states none). An id that is
    not a claim raises, unless ``required`` is False (then None)."""
    if claim not in PAPER:
        if not required:
            return None
        raise KeyError(f"unknown claim {claim!r}; known: {', '.join(PAPER)}")
    return PAPER[claim].value
