"""Every op plugin. Adding an op: create ops/<name>/ (see ops/README.md) and
add its name here; this is the one line outside the op's folder."""

OPS = [
    "adaptive_avgpool2d",
    "add",
    "avgpool2d",
    "batch_norm2d",
    "bias_add",
    "concat",
    "conv2d",
    "conv_transpose2d",
    "dropout",
    "elu",
    "flatten",
    "l2_loss",
    "leaky_relu",
    "lrn",
    "matmul",
    "maxpool2d",
    "mul",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "tanh",
    "upsample2d",
]
