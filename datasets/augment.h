#ifndef TESSERA_DATASETS_AUGMENT_H_
#define TESSERA_DATASETS_AUGMENT_H_

#include <cstdint>

namespace tessera::datasets {

// Translates each image of a batch (NCHW, in place) by its own random whole
// number of pixels in [-max_shift, max_shift] along each axis, filling with
// 0. With 8,000 training digits an MLP memorises the set within a few
// epochs; shifted copies make it learn strokes instead of pixel positions.
// The shifts depend only on `seed` and the image's index in the batch.
void RandomShift(float* images, int64_t count, int64_t channels, int64_t height, int64_t width,
                 int max_shift, uint64_t seed);

// The usual "pad by max_shift with zeros, take a random crop of the original
// size" augmentation (the same translation as RandomShift, with the same
// draws), and with `flip` a left-right mirror of half of the images, chosen
// at random. Meant for a network's input after upscaling, where a shift of a
// few pixels is a fraction of a pixel of the 28x28 original. Clothing is
// left-right symmetric, so a mirrored shirt is still a shirt; digits are not.
void RandomCropAndFlip(float* images, int64_t count, int64_t channels, int64_t height,
                       int64_t width, int max_shift, bool flip, uint64_t seed);

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_AUGMENT_H_
