"""PyTorch golden cases for batch_norm2d: tools/golden/make_golden.py runs cases()
and writes the data under ops/batch_norm2d/golden/ for ops/golden:golden_test."""
from golden_lib import *  # noqa: F401,F403 case helpers, np, torch, F


def cases():
    r = rng_for("batch_norm2d", "train_defaults")
    # Tessera's defaults are float32: use exactly those values.
    F32_0_1, F32_1E_5 = float(np.float32(0.1)), float(np.float32(1e-5))

    def bn_inputs(r, shape):
        c = shape[1]
        x = (uniform(r, shape, -2, 2) + r.uniform(-1, 1, size=(1, c, 1, 1))).astype(np.float32)
        return [x, uniform(r, (c,), 0.5, 1.5), uniform(r, (c,), -0.5, 0.5),
                uniform(r, (c,), -0.5, 0.5), uniform(r, (c,), 0.5, 1.5)]

    def bn_train(momentum, eps):
        def fn(t):
            x, gamma, beta, rm, rv = t
            rm_buf, rv_buf = rm.detach().clone(), rv.detach().clone()
            y = F.batch_norm(x, rm_buf, rv_buf, gamma, beta, training=True, momentum=momentum,
                             eps=eps)
            # The running-stat outputs, written out so that they are
            # differentiable; checked against PyTorch's in-place update.
            new_rm = (1 - momentum) * rm + momentum * x.mean(dim=(0, 2, 3))
            new_rv = (1 - momentum) * rv + momentum * x.var(dim=(0, 2, 3), unbiased=True)
            assert torch.allclose(new_rm, rm_buf, rtol=1e-12, atol=1e-12)
            assert torch.allclose(new_rv, rv_buf, rtol=1e-12, atol=1e-12)
            return [y, new_rm, new_rv]
        return fn

    def dy_only(r, outs):
        return [uniform(r, tuple(outs[0].shape))] + [np.zeros(tuple(o.shape), np.float32)
                                                     for o in outs[1:]]

    case("batch_norm2d", "train_defaults", bn_inputs(r, (4, 3, 3, 3)), [0, 1, 2],
         bn_train(F32_0_1, F32_1E_5), dout=dy_only,
         note="training; gradient only into y, zero into the running-stat outputs")
    r = rng_for("batch_norm2d", "train_momentum_eps")
    case("batch_norm2d", "train_momentum_eps", bn_inputs(r, (2, 4, 3, 2)), [0, 1, 2],
         bn_train(0.25, 0.125), dout=dy_only,
         attrs=[float_("momentum", 0.25), float_("epsilon", 0.125)])
    r = rng_for("batch_norm2d", "train_all_output_grads")
    case("batch_norm2d", "train_all_output_grads", bn_inputs(r, (3, 2, 2, 3)), [0, 1, 2],
         bn_train(0.5, F32_1E_5), attrs=[float_("momentum", 0.5)],
         note="gradient into every output, so the x gradient includes the paths through "
              "new_running_mean and new_running_var")
    r = rng_for("batch_norm2d", "eval")
    def bn_eval(eps):
        def fn(t):
            x, gamma, beta, rm, rv = t
            y = F.batch_norm(x, rm, rv, gamma, beta, training=False, eps=eps)
            return [y, rm * 1, rv * 1]
        return fn

    case("batch_norm2d", "eval", bn_inputs(r, (2, 3, 3, 3)), [0, 1, 2], bn_eval(F32_1E_5),
         training=False, dout=dy_only, note="evaluation: normalizes with the running stats")
    r = rng_for("batch_norm2d", "force_training_in_eval")
    case("batch_norm2d", "force_training_in_eval", bn_inputs(r, (2, 3, 2, 3)), [0, 1, 2],
         bn_train(F32_0_1, F32_1E_5), attrs=[bool_("force_training", True)], training=False,
         note="force_training (ONNX training_mode): batch statistics and the running-stat "
              "update in an evaluation forward, as PyTorch's training mode")
