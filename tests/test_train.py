import pytest
import torch

from cgcore.taylor import TaylorExpansion
from cgcore.train import TrainConfig, accuracy, fit


def test_taylor_expansion_learns_on_a_small_real_subset(mnist7):
    train, test = mnist7[0].subset(2000), mnist7[1].subset(1000)
    torch.manual_seed(0)
    model = TaylorExpansion(49, 2, expansion_point="mean")
    model.fit_standardization(train.images)
    assert accuracy(model, test) < 0.2  # zero weights: one class for everything
    history = fit(model, train, test, TrainConfig(epochs=3, lr=1e-2, batch_size=100), progress=False)
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
