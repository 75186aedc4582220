"""Our schedules and samplers against Hugging Face diffusers' schedulers: the same
network output, the same starting noise and the same random generator give the same
x at every step (to 1e-4, each side stepping from its own x), for each prediction
type and schedule; and the schedules' terminal signal (the book's flaw, fixed)."""

from __future__ import annotations

import pytest
import torch

from studio_plugins.diffusion import samplers
from studio_plugins.diffusion.schedules import book_cosine_betas, make_schedule
from studio_plugins.diffusion.unet import UNet

diffusers = pytest.importorskip("diffusers")

PREDICTION = {"eps": "epsilon", "x0": "sample", "v": "v_prediction"}
BETAS = {"linear": "linear", "cosine": "squaredcos_cap_v2"}


@pytest.fixture(autouse=True)
def _one_thread(studio_one_thread):
    return studio_one_thread


@pytest.fixture(scope="module")
def model_fn():
    """A small random U-Net (its outputs are as good a test as a trained one's)."""
    torch.manual_seed(0)
    net = UNet(1, channels=(8, 16), attention=(False, True), layers=1, groups=4).eval()

    def fn(x, t):
        with torch.no_grad():
            return 0.5 * net(x, t)

    return fn


@pytest.fixture(scope="module")
def cheap_fn():
    """For the 1,000-step comparison: a fixed random 3x3 convolution of x, squashed, plus
    a term in t. As arbitrary an output as the random U-Net's (the samplers only read
    it), at a fiftieth of its cost a call."""
    kernel = torch.randn(1, 1, 3, 3, generator=torch.Generator().manual_seed(0)) / 3

    def fn(x, t):
        shift = 0.1 * torch.cos(t.float() / 100).view(-1, 1, 1, 1)
        return torch.tanh(torch.nn.functional.conv2d(x, kernel, padding=1)) + shift

    return fn


def scheduler(kind: str, schedule: str, prediction: str, zero_snr: bool, **kw):
    cls = {
        "ddpm": diffusers.DDPMScheduler,
        "ddim": diffusers.DDIMScheduler,
        "dpm++2m": diffusers.DPMSolverMultistepScheduler,
    }[kind]
    clip = kw.pop("clip", False)
    extra = {"clip_sample": clip} if kind != "dpm++2m" else {}
    if kind == "ddim":
        extra["set_alpha_to_one"] = True
    if kind == "dpm++2m":
        extra.update(algorithm_type="dpmsolver++", solver_order=2)
    return cls(
        num_train_timesteps=1000,
        beta_schedule=BETAS[schedule],
        prediction_type=PREDICTION[prediction],
        rescale_betas_zero_snr=zero_snr,
        timestep_spacing="trailing",
        **extra,
        **kw,
    )


def compare(
    model_fn, kind, steps, schedule="cosine", prediction="eps", zero_snr=False, eta=0.0, clip=False
):
    ours = make_schedule(schedule, 1000, prediction, zero_snr)
    ref = scheduler(kind, schedule, prediction, zero_snr, clip=clip)
    ref.set_timesteps(steps)
    timesteps = samplers.spaced_timesteps(1000, steps)
    assert ref.timesteps.tolist() == timesteps
    x0 = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    g_ours, g_ref = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    x_ref = x0.clone()
    outputs = []  # the network's output at our x: diffusers steps from the same one

    def recorded(x, t):
        outputs.append(model_fn(x, t))
        return outputs[-1]

    stepper = samplers.sample_steps(kind, recorded, x0.clone(), ours, timesteps, g_ours, eta, clip)
    worst = 0.0
    for step, t in zip(stepper, ref.timesteps, strict=True):
        kwargs = {"generator": g_ref}
        if kind == "ddim":
            kwargs.update(eta=eta, use_clipped_model_output=True)
        if kind == "dpm++2m":
            kwargs = {}
        x_ref = ref.step(outputs[-1], t, x_ref, **kwargs).prev_sample
        # A random network drives DDPM's x far from [-1, 1]: the error is measured
        # against the size of x (float32 keeps about 7 digits of it).
        error = (step.x - x_ref).abs().max().item() / max(1.0, x_ref.abs().max().item())
        worst = max(worst, error)
        assert error <= 1e-4, (step.index, int(t), error)
    assert x_ref.abs().max() > 0.1  # a real image came out, not zeros
    return worst


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_ddim_matches_diffusers_each_prediction_type(model_fn, prediction):
    compare(model_fn, "ddim", 50, prediction=prediction)


@pytest.mark.parametrize(
    "schedule,zero_snr,eta,clip", [("linear", False, 1.0, True), ("linear", True, 0.5, False)]
)
def test_ddim_matches_diffusers_with_noise_schedules_and_clipping(
    model_fn, schedule, zero_snr, eta, clip
):
    compare(model_fn, "ddim", 10, schedule, "v", zero_snr, eta, clip)


def test_ddpm_ancestral_matches_diffusers_over_all_1000_steps(cheap_fn):
    compare(cheap_fn, "ddpm", 1000, "linear", "eps")


@pytest.mark.parametrize(
    "prediction,schedule,zero_snr", [("eps", "cosine", False), ("v", "linear", True)]
)
def test_ddpm_with_fewer_steps_matches_diffusers(model_fn, prediction, schedule, zero_snr):
    compare(model_fn, "ddpm", 20, schedule, prediction, zero_snr, clip=True)


@pytest.mark.parametrize(
    "steps,prediction,schedule,zero_snr",
    [(10, "eps", "cosine", False), (20, "v", "linear", True), (20, "x0", "cosine", False)],
)
def test_dpm_solver_2m_matches_diffusers(model_fn, steps, prediction, schedule, zero_snr):
    compare(model_fn, "dpm++2m", steps, schedule, prediction, zero_snr)


def test_schedules_leave_no_signal_at_the_last_step_unlike_the_books_clipping():
    book = torch.cumprod(1 - book_cosine_betas(), 0)[-1].sqrt().item()
    assert 0.05 < book < 0.07  # the book's cosine with betas clipped at 0.02: 6% left
    assert make_schedule("cosine").terminal_signal() < 1e-4
    assert make_schedule("linear").terminal_signal() < 0.01
    assert make_schedule("linear", zero_terminal_snr=True).terminal_signal() < 3e-4


def test_schedule_splits_every_prediction_type_back_into_x0_and_noise():
    x0 = torch.randn(4, 1, 8, 8)
    noise = torch.randn(4, 1, 8, 8)
    t = torch.tensor([0, 10, 500, 990])
    for prediction in ("eps", "x0", "v"):
        s = make_schedule("cosine", prediction=prediction)
        x = s.add_noise(x0, noise, t)
        abar = s.alphas_cumprod[t].view(-1, 1, 1, 1)
        got_x0, got_eps = s.split(s.target(x0, noise, t), x, abar)
        assert torch.allclose(got_eps, noise, atol=1e-3), prediction
        if prediction != "eps":  # eps -> x0 divides by sqrt(abar) ~ 0 at t = 990
            assert torch.allclose(got_x0, x0, atol=1e-3), prediction


def test_sampler_names_and_steps_are_checked():
    with pytest.raises(ValueError, match="sampler must be one of"):
        samplers.sample_steps("euler-a", None, None, None, [])
    with pytest.raises(ValueError, match="steps must be between"):
        samplers.spaced_timesteps(1000, 0)
    assert samplers.start_timesteps(samplers.spaced_timesteps(1000, 10), 0.3) == [299, 199, 99]
