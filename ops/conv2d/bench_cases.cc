// //bench:op_benchmark's cases for conv2d (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(
    bench::Flops("conv2d", "3x3_16x64x56x56_to64_pad1",
                 {bench::In({16, 64, 56, 56}), bench::In({64, 64, 3, 3}), bench::In({64})},
                 {{"padding", IntsAttr({1, 1})}}),
    // A network's first layer needs no gradient for its image.
    bench::Flops("conv2d", "alexnet_conv1_11x11s4_16x3x224x224_to64_pad2",
                 {bench::In({16, 3, 224, 224}), bench::In({64, 3, 11, 11}), bench::In({64})},
                 {{"stride", IntsAttr({4, 4})}, {"padding", IntsAttr({2, 2})}}, {1, 2}),
    bench::Flops("conv2d", "alexnet_conv2_5x5g2_16x96x27x27_to256_pad2",
                 {bench::In({16, 96, 27, 27}), bench::In({256, 48, 5, 5}), bench::In({256})},
                 {{"padding", IntsAttr({2, 2})}, {"groups", IntAttr(2)}}),
    // ImageNet AlexNet's own layers (models/alexnet.pbtxt) at batch 16:
    // conv1 with 96 outputs on 227x227, and the 3x3 layers on 13x13 maps,
    // where Winograd does not pay.
    bench::Flops("conv2d", "imagenet_conv1_11x11s4_16x3x227x227_to96",
                 {bench::In({16, 3, 227, 227}), bench::In({96, 3, 11, 11}), bench::In({96})},
                 {{"stride", IntsAttr({4, 4})}}, {1, 2}),
    bench::Flops("conv2d", "imagenet_conv3_3x3_16x256x13x13_to384_pad1",
                 {bench::In({16, 256, 13, 13}), bench::In({384, 256, 3, 3}), bench::In({384})},
                 {{"padding", IntsAttr({1, 1})}}),
    bench::Flops("conv2d", "imagenet_conv4_3x3g2_16x384x13x13_to384_pad1",
                 {bench::In({16, 384, 13, 13}), bench::In({384, 192, 3, 3}), bench::In({384})},
                 {{"padding", IntsAttr({1, 1})}, {"groups", IntAttr(2)}}));

}  // namespace
}  // namespace tessera
