#include "datasets/image_codec.h"

// clang-format off
#include <cstdio>  // jpeglib.h needs FILE first
#include <jpeglib.h>
#include <jerror.h>
// clang-format on
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace tessera::datasets {
namespace {

absl::Status TooLarge(int64_t width, int64_t height) {
  return absl::InvalidArgumentError(absl::StrCat("image header claims ", width, "x", height,
                                                 " pixels, more than the ", kMaxImagePixels,
                                                 " this reader accepts (a decompression bomb?)"));
}

// ---- JPEG ---------------------------------------------------------------

struct JpegErrorManager {
  jpeg_error_mgr manager;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void JpegErrorExit(j_common_ptr cinfo) {
  auto* error = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, error->message);
  longjmp(error->jump, 1);
}

// libjpeg only warns about a file that ends early (and fills the rest with
// grey); PIL refuses such a file, and so do we. Other warnings (extra bytes
// between markers, say) are common in real photographs and harmless.
void JpegEmitMessage(j_common_ptr cinfo, int level) {
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) JpegErrorExit(cinfo);
}

absl::StatusOr<DecodedImage> DecodeJpeg(std::string_view bytes, int channels) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager error;
  cinfo.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = JpegErrorExit;
  error.manager.emit_message = JpegEmitMessage;
  DecodedImage image;
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return absl::InvalidArgumentError(absl::StrCat("corrupt or truncated JPEG: ", error.message));
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (static_cast<int64_t>(cinfo.image_width) * cinfo.image_height > kMaxImagePixels) {
    const absl::Status status = TooLarge(cinfo.image_width, cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return status;
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  // Photoshop (and PIL, and libjpeg given an Adobe marker) store CMYK inverted.
  const bool inverted = cinfo.saw_Adobe_marker;
  // Colour to grey goes through RGB, as in PIL, whose RGB values are
  // clamped (the luma of a YCbCr file is not).
  const bool grey = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  cinfo.out_color_space = cmyk ? JCS_CMYK : grey ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const int components = cinfo.output_components;
  image.width = static_cast<int>(cinfo.output_width);
  image.height = static_cast<int>(cinfo.output_height);
  image.channels = components;
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * components);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row =
        &image.pixels[static_cast<size_t>(cinfo.output_scanline) * image.width * components];
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (cmyk) {  // to RGB as PIL does: R = (255 - C)(255 - K) / 255
    const size_t count = static_cast<size_t>(image.width) * image.height;
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* p = &image.pixels[i * 4];
      const int k = inverted ? p[3] : 255 - p[3];
      for (int c = 0; c < 3; ++c) {
        const int ink = inverted ? p[c] : 255 - p[c];
        image.pixels[i * 3 + c] = static_cast<uint8_t>((ink * k + 127) / 255);
      }
    }
    image.pixels.resize(count * 3);
    image.channels = 3;
  }
  ConvertChannels(image, channels);
  return image;
}

// ---- PNG ----------------------------------------------------------------

struct PngErrorState {
  std::string message;
};

[[noreturn]] void PngError(png_structp png, png_const_charp message) {
  static_cast<PngErrorState*>(png_get_error_ptr(png))->message = message;
  png_longjmp(png, 1);
}

void PngWarning(png_structp, png_const_charp) {}

struct PngReader {
  const uint8_t* data;
  size_t size, position;
};

void PngRead(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (reader->size - reader->position < length) png_error(png, "file ends early (truncated)");
  memcpy(out, reader->data + reader->position, length);
  reader->position += length;
}

absl::StatusOr<DecodedImage> DecodePng(std::string_view bytes, int channels) {
  PngErrorState error;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, PngError, PngWarning);
  if (png == nullptr) return absl::ResourceExhaustedError("cannot allocate a PNG reader");
  png_infop info = png_create_info_struct(png);
  PngReader reader{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 0};
  DecodedImage image;
  std::vector<png_bytep> rows;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return absl::InvalidArgumentError(absl::StrCat("corrupt or truncated PNG: ", error.message));
  }
  if (info == nullptr) png_error(png, "cannot allocate PNG info");
  png_set_read_fn(png, &reader, PngRead);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  if (static_cast<int64_t>(width) * height > kMaxImagePixels) {
    png_destroy_read_struct(&png, &info, nullptr);
    return TooLarge(width, height);
  }
  // Palette to RGB, 1/2/4-bit grey to 8 bits, tRNS to alpha; then drop
  // alpha and cut 16 bits to their high byte (as PIL's convert() does).
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.channels = png_get_channels(png, info);
  if (image.channels != 1 && image.channels != 3) png_error(png, "unexpected channel count");
  if (png_get_rowbytes(png, info) != static_cast<size_t>(width) * image.channels) {
    png_error(png, "unexpected row size");
  }
  image.pixels.resize(static_cast<size_t>(width) * height * image.channels);
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) {
    rows[y] = &image.pixels[static_cast<size_t>(y) * width * image.channels];
  }
  png_read_image(png, rows.data());
  png_destroy_read_struct(&png, &info, nullptr);
  ConvertChannels(image, channels);
  return image;
}

void PngWrite(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))
      ->append(reinterpret_cast<const char*>(data), length);
}

void PngFlush(png_structp) {}

}  // namespace

void ConvertChannels(DecodedImage& image, int channels) {
  if (image.channels == channels) return;
  const size_t count = static_cast<size_t>(image.width) * image.height;
  std::vector<uint8_t> out(count * channels);
  if (channels == 1) {
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* p = &image.pixels[i * 3];
      out[i] = static_cast<uint8_t>((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
    }
  } else {
    for (size_t i = 0; i < count; ++i)
      out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = image.pixels[i];
  }
  image.pixels = std::move(out);
  image.channels = channels;
}

absl::StatusOr<DecodedImage> DecodeImage(std::string_view bytes, int channels) {
  if (channels != 1 && channels != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("images can be decoded to 1 or 3 channels, not ", channels));
  }
  if (bytes.empty()) return absl::InvalidArgumentError("empty file (0 bytes)");
  if (bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xff &&
      static_cast<uint8_t>(bytes[1]) == 0xd8 && static_cast<uint8_t>(bytes[2]) == 0xff) {
    return DecodeJpeg(bytes, channels);
  }
  if (bytes.size() >= 8 &&
      png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) == 0) {
    return DecodePng(bytes, channels);
  }
  return absl::InvalidArgumentError("not a JPEG or PNG image (unknown signature)");
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open (", strerror(errno), ")"));
  }
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::DataLossError(absl::StrCat(path, ": cannot read"));
  if (size > kMaxImageFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", size, " bytes, more than the ", kMaxImageFileBytes, " accepted"));
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) {
    return absl::DataLossError(absl::StrCat(path, ": cannot read (", strerror(errno), ")"));
  }
  return bytes;
}

absl::StatusOr<DecodedImage> ReadImageFile(const std::string& path, int channels) {
  absl::StatusOr<std::string> bytes = ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<DecodedImage> image = DecodeImage(*bytes, channels);
  if (!image.ok()) {
    return absl::Status(image.status().code(), absl::StrCat(path, ": ", image.status().message()));
  }
  return image;
}

absl::Status WriteWholeFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeJpeg(const DecodedImage& image, int quality) {
  if (image.channels != 1 && image.channels != 3 && image.channels != 4) {
    return absl::InvalidArgumentError("JPEG images have 1, 3 or 4 (CMYK) channels");
  }
  if (image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels ||
      image.width <= 0 || image.height <= 0) {
    return absl::InvalidArgumentError("image size does not match its pixels");
  }
  jpeg_compress_struct cinfo;
  JpegErrorManager error;
  cinfo.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = JpegErrorExit;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  if (setjmp(error.jump)) {
    jpeg_destroy_compress(&cinfo);
    free(buffer);
    return absl::InternalError(absl::StrCat("JPEG encoding failed: ", error.message));
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = image.channels;
  cinfo.in_color_space = image.channels == 1   ? JCS_GRAYSCALE
                         : image.channels == 3 ? JCS_RGB
                                               : JCS_CMYK;
  jpeg_set_defaults(&cinfo);  // CMYK gets an Adobe marker (stored inverted)
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  const size_t stride = static_cast<size_t>(image.width) * image.channels;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(&image.pixels[cinfo.next_scanline * stride]);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string bytes(reinterpret_cast<const char*>(buffer), size);
  free(buffer);
  return bytes;
}

absl::StatusOr<std::string> EncodePng(const PngSpec& spec) {
  PngErrorState error;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, PngError, PngWarning);
  if (png == nullptr) return absl::ResourceExhaustedError("cannot allocate a PNG writer");
  png_infop info = png_create_info_struct(png);
  std::string bytes;
  std::vector<png_color> palette;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return absl::InvalidArgumentError(absl::StrCat("PNG encoding failed: ", error.message));
  }
  if (info == nullptr) png_error(png, "cannot allocate PNG info");
  png_set_write_fn(png, &bytes, PngWrite, PngFlush);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (spec.color_type == PNG_COLOR_TYPE_PALETTE) {
    for (size_t i = 0; i + 2 < spec.palette.size(); i += 3) {
      palette.push_back({spec.palette[i], spec.palette[i + 1], spec.palette[i + 2]});
    }
    png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
    if (!spec.transparency.empty()) {
      png_set_tRNS(png, info, spec.transparency.data(), static_cast<int>(spec.transparency.size()),
                   nullptr);
    }
  }
  png_write_info(png, info);
  const size_t rowbytes = png_get_rowbytes(png, info);
  if (spec.samples.size() != rowbytes * spec.height)
    png_error(png, "samples do not fill the image");
  for (int y = 0; y < spec.height; ++y) {
    png_write_row(png, &spec.samples[static_cast<size_t>(y) * rowbytes]);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return bytes;
}

absl::StatusOr<std::string> EncodePng(const DecodedImage& image) {
  if (image.channels != 1 && image.channels != 3) {
    return absl::InvalidArgumentError("EncodePng(DecodedImage) writes grey or RGB");
  }
  PngSpec spec;
  spec.width = image.width;
  spec.height = image.height;
  spec.color_type = image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB;
  spec.samples = image.pixels;
  return EncodePng(spec);
}

}  // namespace tessera::datasets
