from dataclasses import replace

import pytest
import torch

from cgcore.taylor import TaylorExpansion
from cgcore.train import TrainConfig, accuracy, fit, training_loss


@pytest.mark.parametrize("loss", ["cross_entropy", "multi_margin"])
def test_taylor_expansion_learns_on_a_small_real_subset(mnist7, loss):
    train, test = mnist7[0].subset(2000), mnist7[1].subset(1000)
    torch.manual_seed(0)
    model = TaylorExpansion(49, 2, expansion_point="mean")
    model.fit_standardization(train.images)
    assert accuracy(model, test) < 0.2  # zero weights: one class for everything
    history = fit(model, train, test, TrainConfig(epochs=3, lr=1e-2, batch_size=100, loss=loss), progress=False)
    assert history.test_acc[-1] > 0.85
    assert history.train_loss[-1] < history.train_loss[0]


def test_resume_from_checkpoint_matches_uninterrupted_run(mnist7, tmp_path, monkeypatch):
    train, test = mnist7[0].subset(500), mnist7[1].subset(200)
    cfg = TrainConfig(epochs=2, lr=1e-2, batch_size=50)

    def fresh():
        torch.manual_seed(0)
        m = TaylorExpansion(49, 2)
        m.fit_standardization(train.images)
        return m

    straight = fresh()
    fit(straight, train, test, cfg, progress=False)

    class Interrupted(Exception):
        pass

    original_step = torch.optim.lr_scheduler.OneCycleLR.step
    calls = {"n": 0}

    def step_then_interrupt(self, *args, **kwargs):
        original_step(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == len(train) // cfg.batch_size + 3:  # a few steps into epoch 2
            raise Interrupted

    ckpt = tmp_path / "ckpt.pt"
    monkeypatch.setattr(torch.optim.lr_scheduler.OneCycleLR, "step", step_then_interrupt)
    with pytest.raises(Interrupted):
        fit(fresh(), train, test, cfg, checkpoint=ckpt, progress=False)
    monkeypatch.undo()
    assert torch.load(ckpt, weights_only=False)["epoch"] == 1

    resumed = fresh()
    history = fit(resumed, train, test, cfg, checkpoint=ckpt, progress=False)
    assert history.epoch == [1, 2]
    torch.testing.assert_close(resumed.weight, straight.weight)


def test_bad_training_parameters_raise():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; accepted: adam, adamw, sgd"):
        TrainConfig(epochs=1, optimizer="lbfgs")
    with pytest.raises(ValueError, match="epochs and batch_size must be >= 1"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="unknown precision 'float16'; accepted: float32, bfloat16"):
        TrainConfig(epochs=1, precision="float16")
    with pytest.raises(ValueError, match="unknown loss 'hinge'; accepted: cross_entropy, multi_margin"):
        TrainConfig(epochs=1, loss="hinge")
    with pytest.raises(ValueError, match="label_smoothing applies to the cross_entropy loss only"):
        TrainConfig(epochs=1, loss="multi_margin", label_smoothing=0.1)
    for decay in (1.0, -0.1):
        with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\) \(0 = no averaging\)"):
            TrainConfig(epochs=1, ema_decay=decay)


def test_weight_averaging_returns_the_moving_average_and_measures_both(mnist7, monkeypatch):
    """With ema_decay the network returned holds avg <- d * avg + (1 - d) * w after every step
    (the first step's weights to start), measured each epoch beside the trained weights, and
    averaging does not change what is trained; without, nothing is averaged."""
    train, test = mnist7[0].subset(400), mnist7[1].subset(200)
    cfg = TrainConfig(epochs=2, lr=1e-2, batch_size=100)

    def fresh():
        torch.manual_seed(0)
        m = TaylorExpansion(49, 1)
        m.fit_standardization(train.images)
        return m

    plain, steps = fresh(), []
    original_step = torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        out = original_step(self, *args, **kwargs)
        steps.append(plain.weight.detach().clone())
        return out

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    history = fit(plain, train, test, cfg, progress=False)
    monkeypatch.undo()
    assert history.raw_test_acc == [] and len(steps) == 8

    averaged = fresh()
    history = fit(averaged, train, test, replace(cfg, ema_decay=0.5), progress=False)
    assert history.raw_test_acc[-1] == accuracy(plain, test)
    assert history.test_acc[-1] == accuracy(averaged, test)
    expected = steps[0]
    for w in steps[1:]:
        expected = 0.5 * expected + 0.5 * w
    torch.testing.assert_close(averaged.weight, expected)
    assert not torch.allclose(averaged.weight, plain.weight)


def test_multi_margin_loss_is_the_multiclass_hinge():
    logits, labels = torch.tensor([[2.0, 0.5, 1.8], [0.0, 3.0, 0.0]]), torch.tensor([0, 1])
    # sum over the wrong classes of max(0, 1 - (true - wrong)), over the number of classes
    hinge = torch.tensor([(0.0 + 0.8) / 3, 0.0]).mean()
    assert torch.allclose(training_loss(logits, labels, TrainConfig(epochs=1, loss="multi_margin")), hinge)
    assert not torch.allclose(training_loss(logits, labels, TrainConfig(epochs=1)), hinge)


def test_halfway_step_schedule_drops_the_rate_tenfold_at_half_the_epochs():
    from cgcore.train import make_optimizer, make_scheduler
    model = torch.nn.Linear(2, 2)
    cfg = TrainConfig(epochs=4, optimizer="sgd", lr=0.01, schedule="halfway_step", nesterov=False)
    opt = make_optimizer(model.parameters(), cfg)
    sched = make_scheduler(opt, cfg, steps_per_epoch=3)
    rates = []
    for _ in range(12):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert rates[:6] == pytest.approx([0.01] * 6) and rates[6:] == pytest.approx([0.001] * 6)
    assert opt.param_groups[0]["nesterov"] is False


def test_bfloat16_channels_last_training_learns_as_float32_does(mnist7):
    train, test = mnist7
    accs = {}
    for precision, channels_last in (("float32", False), ("bfloat16", True)):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                    torch.nn.Linear(16 * 49, 10))
        cfg = TrainConfig(epochs=2, batch_size=64, lr=3e-3, precision=precision, channels_last=channels_last)
        fit(model, train.subset(2000), None, cfg, progress=False)
        accs[precision] = accuracy(model, test.subset(1000), precision=precision)
    assert accs["float32"] > 0.6 and abs(accs["bfloat16"] - accs["float32"]) < 0.05


def test_resume_with_augmentation_is_bit_identical(mnist7, tmp_path, monkeypatch):
    """Augmentation draws from a generator of (seed, epoch, step), not the global RNG:
    a run stopped in its second epoch and resumed while the global RNG is elsewhere ends
    with exactly the weights of an uninterrupted run."""
    from functools import partial

    from cgcore.data import random_affine

    train = mnist7[0].subset(300)
    cfg = TrainConfig(epochs=2, lr=1e-2, batch_size=50)
    augment = partial(random_affine, max_shift=0.1)

    def fresh():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(49, 10))

    straight = fresh()
    fit(straight, train, None, cfg, augment=augment, progress=False)

    class Stop(Exception):
        pass

    original = torch.optim.lr_scheduler.OneCycleLR.step
    steps = {"n": 0}

    def step_then_stop(self, *args, **kwargs):
        original(self, *args, **kwargs)
        steps["n"] += 1
        if steps["n"] == len(train) // cfg.batch_size + 2:     # two steps into epoch 2
            raise Stop

    ckpt = tmp_path / "ckpt.pt"
    monkeypatch.setattr(torch.optim.lr_scheduler.OneCycleLR, "step", step_then_stop)
    with pytest.raises(Stop):
        fit(fresh(), train, None, cfg, checkpoint=ckpt, augment=augment, progress=False)
    monkeypatch.undo()
    resumed = fresh()
    torch.manual_seed(12345)                                     # the global RNG is elsewhere now
    fit(resumed, train, None, cfg, checkpoint=ckpt, augment=augment, progress=False)
    for a, b in zip(resumed.parameters(), straight.parameters()):
        assert torch.equal(a, b)
