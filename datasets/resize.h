#ifndef TESSERA_DATASETS_RESIZE_H_
#define TESSERA_DATASETS_RESIZE_H_

#include <cstdint>

namespace tessera::datasets {

// Bilinear resize of `count` NCHW images from in_h x in_w to out_h x out_w,
// with PyTorch's align_corners=False sampling (pixel centres, edges
// clamped). Used to upscale 28x28 digits to a network's input size.
void ResizeBilinear(const float* in, int64_t count, int64_t channels, int64_t in_h, int64_t in_w,
                    float* out, int64_t out_h, int64_t out_w);

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_RESIZE_H_
