#include "datasets/image_codec.h"

#include <png.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "datasets/image_test_util.h"
#include "gtest/gtest.h"

namespace tessera::datasets {
namespace {

using testing_util::FreshDir;
using testing_util::MakePicture;
using testing_util::RunCommand;
using testing_util::SkimagePhoto;
using testing_util::SklearnPhoto;

double MeanAbsDiff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  EXPECT_EQ(a.size(), b.size());
  double sum = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) sum += std::abs(a[i] - b[i]);
  return sum / std::max<size_t>(1, a.size());
}

DecodedImage Decode(const std::string& bytes, int channels) {
  absl::StatusOr<DecodedImage> image = DecodeImage(bytes, channels);
  EXPECT_TRUE(image.ok()) << image.status();
  return image.ok() ? *image : DecodedImage();
}

TEST(JpegTest, RgbAndGreyRoundTrip) {
  const DecodedImage rgb = MakePicture(40, 30, 3, 1);
  const DecodedImage decoded = Decode(*EncodeJpeg(rgb, 95), 3);
  EXPECT_EQ(decoded.width, 40);
  EXPECT_EQ(decoded.height, 30);
  EXPECT_EQ(decoded.channels, 3);
  EXPECT_LT(MeanAbsDiff(decoded.pixels, rgb.pixels), 4);

  // Colour to grey: PIL's weights on the decoded colours.
  DecodedImage expected_grey = decoded;
  ConvertChannels(expected_grey, 1);
  EXPECT_LT(MeanAbsDiff(Decode(*EncodeJpeg(rgb, 95), 1).pixels, expected_grey.pixels), 1.0);

  const DecodedImage grey = MakePicture(33, 17, 1, 2);
  const DecodedImage grey_as_rgb = Decode(*EncodeJpeg(grey, 95), 3);
  ASSERT_EQ(grey_as_rgb.channels, 3);
  const DecodedImage grey_decoded = Decode(*EncodeJpeg(grey, 95), 1);
  EXPECT_LT(MeanAbsDiff(grey_decoded.pixels, grey.pixels), 4);
  for (size_t i = 0; i < grey_decoded.pixels.size(); ++i) {
    ASSERT_EQ(grey_as_rgb.pixels[3 * i], grey_decoded.pixels[i]);
    ASSERT_EQ(grey_as_rgb.pixels[3 * i + 2], grey_decoded.pixels[i]);
  }
}

TEST(JpegTest, CmykIsConvertedToRgb) {
  // Inverted CMYK with K' = 255 (no black ink) stores R, G, B as C', M', Y'.
  const DecodedImage rgb = MakePicture(24, 24, 3, 3);
  DecodedImage cmyk;
  cmyk.width = cmyk.height = 24;
  cmyk.channels = 4;
  for (size_t i = 0; i < rgb.pixels.size() / 3; ++i) {
    cmyk.pixels.insert(cmyk.pixels.end(),
                       {rgb.pixels[3 * i], rgb.pixels[3 * i + 1], rgb.pixels[3 * i + 2], 255});
  }
  const DecodedImage decoded = Decode(*EncodeJpeg(cmyk, 100), 3);
  EXPECT_LT(MeanAbsDiff(decoded.pixels, rgb.pixels), 3);
  // Half black ink halves every channel.
  for (size_t i = 0; i < cmyk.pixels.size(); i += 4) cmyk.pixels[i + 3] = 128;
  const DecodedImage darker = Decode(*EncodeJpeg(cmyk, 100), 3);
  std::vector<uint8_t> half(rgb.pixels.size());
  for (size_t i = 0; i < half.size(); ++i)
    half[i] = static_cast<uint8_t>(rgb.pixels[i] * 128 / 255);
  EXPECT_LT(MeanAbsDiff(darker.pixels, half), 3);
}

std::string Png(int width, int height, int color_type, int bit_depth, std::vector<uint8_t> samples,
                std::vector<uint8_t> palette = {}, std::vector<uint8_t> transparency = {}) {
  PngSpec spec{width,
               height,
               color_type,
               bit_depth,
               std::move(samples),
               std::move(palette),
               std::move(transparency)};
  absl::StatusOr<std::string> bytes = EncodePng(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : "";
}

TEST(PngTest, EveryColourType) {
  using Bytes = std::vector<uint8_t>;
  // 8-bit grey, as grey and as RGB.
  EXPECT_EQ(Decode(Png(2, 1, PNG_COLOR_TYPE_GRAY, 8, {10, 200}), 1).pixels, (Bytes{10, 200}));
  EXPECT_EQ(Decode(Png(2, 1, PNG_COLOR_TYPE_GRAY, 8, {10, 200}), 3).pixels,
            (Bytes{10, 10, 10, 200, 200, 200}));
  // 1-bit grey: 0b10100000 -> white, black, white.
  EXPECT_EQ(Decode(Png(3, 1, PNG_COLOR_TYPE_GRAY, 1, {0xa0}), 1).pixels, (Bytes{255, 0, 255}));
  // 16-bit grey and RGB keep the high byte.
  EXPECT_EQ(Decode(Png(2, 1, PNG_COLOR_TYPE_GRAY, 16, {0x12, 0x34, 0xfe, 0x01}), 1).pixels,
            (Bytes{0x12, 0xfe}));
  EXPECT_EQ(Decode(Png(1, 1, PNG_COLOR_TYPE_RGB, 16, {1, 2, 3, 4, 5, 6}), 3).pixels,
            (Bytes{1, 3, 5}));
  // Alpha is dropped, grey or colour.
  EXPECT_EQ(Decode(Png(1, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, {9, 8, 7, 0}), 3).pixels,
            (Bytes{9, 8, 7}));
  EXPECT_EQ(Decode(Png(2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {50, 0, 60, 255}), 1).pixels,
            (Bytes{50, 60}));
  // Palette with transparency: colours looked up, alpha dropped.
  EXPECT_EQ(
      Decode(Png(2, 1, PNG_COLOR_TYPE_PALETTE, 8, {1, 0}, {10, 20, 30, 40, 50, 60}, {0, 128}), 3)
          .pixels,
      (Bytes{40, 50, 60, 10, 20, 30}));
  // RGB to grey with PIL's weights: (255, 0, 0) -> 76.
  EXPECT_EQ(Decode(Png(1, 1, PNG_COLOR_TYPE_RGB, 8, {255, 0, 0}), 1).pixels, (Bytes{76}));
}

void ExpectError(const std::string& bytes, const std::string& fragment) {
  absl::StatusOr<DecodedImage> image = DecodeImage(bytes, 3);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(image.status().message().find(fragment), std::string::npos) << image.status();
}

TEST(DecodeErrorTest, BadInputGivesClearErrors) {
  const std::string jpeg = *EncodeJpeg(MakePicture(64, 48, 3, 4), 90);
  const std::string png = *EncodePng(MakePicture(64, 48, 3, 4));
  ExpectError("", "empty file");
  ExpectError("hello, this is a text file\n", "not a JPEG or PNG");
  ExpectError(jpeg.substr(0, jpeg.size() / 2), "corrupt or truncated JPEG");
  ExpectError(jpeg.substr(0, 3), "corrupt or truncated JPEG");
  ExpectError(png.substr(0, png.size() / 2), "corrupt or truncated PNG");
  ExpectError(png.substr(0, 20), "corrupt or truncated PNG");
  std::string corrupt_png = png;
  corrupt_png[png.size() / 2] ^= 0x55;  // inside IDAT: its CRC no longer matches
  ExpectError(corrupt_png, "corrupt or truncated PNG");
  std::string garbage_jpeg = jpeg.substr(0, 2) + std::string(500, '\x37');
  garbage_jpeg[2] = '\xff';
  ExpectError(garbage_jpeg, "corrupt or truncated JPEG");
  EXPECT_FALSE(DecodeImage(jpeg, 2).ok());
}

TEST(DecodeErrorTest, DecompressionBombsAreRefusedFromTheHeader) {
  // A JPEG whose frame header (SOF0) claims 60000x60000.
  std::string jpeg = *EncodeJpeg(MakePicture(16, 16, 3, 5), 90);
  const size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  for (size_t at : {sof + 5, sof + 7}) {  // height, then width
    jpeg[at] = static_cast<char>(60000 >> 8);
    jpeg[at + 1] = static_cast<char>(60000 & 0xff);
  }
  ExpectError(jpeg, "decompression bomb");

  // A PNG whose IHDR claims 60000x60000 (with a correct CRC).
  std::string png = *EncodePng(MakePicture(16, 16, 3, 5));
  for (size_t at : {16, 20}) {
    png[at] = 0;
    png[at + 1] = 0;
    png[at + 2] = static_cast<char>(60000 >> 8);
    png[at + 3] = static_cast<char>(60000 & 0xff);
  }
  const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17);
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<char>(crc >> (24 - 8 * i));
  ExpectError(png, "decompression bomb");
}

TEST(DecodeErrorTest, FileErrorsNameTheFile) {
  const std::string dir = FreshDir("file_errors");
  absl::StatusOr<DecodedImage> missing = ReadImageFile(dir + "/missing.jpg", 3);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.jpg"), std::string::npos);
  testing_util::WriteBytes(dir + "/empty.jpg", "");
  absl::StatusOr<DecodedImage> empty = ReadImageFile(dir + "/empty.jpg", 3);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.jpg: empty file"), std::string::npos)
      << empty.status();
  std::filesystem::create_directory(dir + "/folder.png");
  EXPECT_FALSE(ReadImageFile(dir + "/folder.png", 3).ok());
}

// The packaged photographs, and PIL's versions of them in other colour
// types, decode exactly as PIL (python3-pil, on the same libjpeg-turbo and
// libpng) decodes them.
TEST(DecodeTest, MatchesPilOnPhotographs) {
  const std::string dir = FreshDir("pil");
  const std::string script = absl::StrCat(R"(
import sys
import numpy as np
from PIL import Image
out = sys.argv[1]
china = Image.open(')",
                                          SklearnPhoto("china.jpg"), R"(')
coffee = Image.open(')",
                                          SkimagePhoto("coffee.png"), R"(')
china.save(out + '/china.jpg')
china.convert('L').save(out + '/china_grey.jpg', quality=90)
china.convert('CMYK').save(out + '/china_cmyk.jpg', quality=90)
coffee.save(out + '/coffee.png')
coffee.convert('P', palette=Image.ADAPTIVE).save(out + '/coffee_palette.png')
coffee.convert('RGBA').save(out + '/coffee_rgba.png')
coffee.convert('LA').save(out + '/coffee_la.png')
grey16 = np.asarray(coffee.convert('L')).astype(np.uint16) * 257
Image.fromarray(grey16).save(out + '/coffee_16.png')
for name in ['china.jpg', 'china_grey.jpg', 'china_cmyk.jpg', 'coffee.png',
             'coffee_palette.png', 'coffee_rgba.png', 'coffee_la.png', 'coffee_16.png']:
    image = Image.open(out + '/' + name)
    if image.mode.startswith('I'):  # PIL cannot convert 16-bit grey: take the high byte
        image = Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))
    for mode in ['RGB', 'L']:
        open(out + '/' + name + '.' + mode, 'wb').write(image.convert(mode).tobytes())
    print(name)
)");
  testing_util::WriteBytes(dir + "/pil.py", script);
  int exit_code = 0;
  const std::string listed =
      RunCommand(absl::StrCat("/usr/bin/python3 ", dir, "/pil.py ", dir, " 2>&1"), &exit_code);
  ASSERT_EQ(exit_code, 0) << listed
                          << "\n(tools/setup.sh --tests installs python3-pil, "
                             "python3-skimage and python3-sklearn)";
  int checked = 0;
  for (const char* name :
       {"china.jpg", "china_grey.jpg", "china_cmyk.jpg", "coffee.png", "coffee_palette.png",
        "coffee_rgba.png", "coffee_la.png", "coffee_16.png"}) {
    for (int channels : {3, 1}) {
      SCOPED_TRACE(absl::StrCat(name, " as ", channels, " channels"));
      absl::StatusOr<DecodedImage> ours = ReadImageFile(absl::StrCat(dir, "/", name), channels);
      ASSERT_TRUE(ours.ok()) << ours.status();
      absl::StatusOr<std::string> pil =
          ReadWholeFile(absl::StrCat(dir, "/", name, channels == 3 ? ".RGB" : ".L"));
      ASSERT_TRUE(pil.ok());
      ASSERT_EQ(ours->pixels.size(), pil->size());
      // Identical but for rounding in colour conversions (CMYK, grey).
      int max_diff = 0;
      for (size_t i = 0; i < pil->size(); ++i) {
        max_diff = std::max(max_diff, std::abs(ours->pixels[i] - static_cast<uint8_t>((*pil)[i])));
      }
      EXPECT_LE(max_diff, 1);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 16);
}

}  // namespace
}  // namespace tessera::datasets
