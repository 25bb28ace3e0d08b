// libFuzzer target: JPEG and PNG decoding (datasets/image_codec.h) to grey
// and to RGB, then the eval transform of what decoded, as a training
// pipeline worker would run it on a file from an image folder.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "datasets/image_codec.h"
#include "datasets/transforms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (int channels : {3, 1}) {
    absl::StatusOr<tessera::datasets::DecodedImage> image =
        tessera::datasets::DecodeImage(bytes, channels);
    if (!image.ok()) continue;
    tessera::datasets::TransformConfig transform;
    transform.channels = channels;
    transform.height = transform.width = 16;
    if (channels == 1) transform.mean = transform.std = {0.5f};
    std::vector<float> out(transform.output_size());
    tessera::datasets::ResampleNormalize(
        *image, tessera::datasets::EvalCropBox(transform, image->width, image->height), transform,
        out.data());
  }
  return 0;
}
