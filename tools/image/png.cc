#include "tools/image/png.h"

#include <png.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"

namespace tessera {
namespace {

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

}  // namespace

absl::Status WritePng(const std::string& path, const Image& image) {
  if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3) ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", path, ": inconsistent ",
                                                   image.width, "x", image.height, "x",
                                                   image.channels, " image"));
  }
  const std::string tmp = path + ".tmp";
  File file(fopen(tmp.c_str(), "wb"));
  if (!file) return absl::InternalError(absl::StrCat("cannot create ", tmp));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    return absl::InternalError("libpng could not start");
  }
  // libpng reports errors by longjmp; nothing with a destructor lives
  // between here and the end of writing.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return absl::InternalError(absl::StrCat("libpng failed writing ", tmp));
  }
  png_init_io(png, file.get());
  png_set_IHDR(png, info, image.width, image.height, 8,
               image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y) {
    png_write_row(png,
                  const_cast<png_bytep>(image.pixels.data() +
                                        static_cast<size_t>(y) * image.width * image.channels));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (fclose(file.release()) != 0) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::Status ReadPng(const std::string& path, Image* image) {
  png_image reader{};
  reader.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&reader, path.c_str())) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read PNG ", path, ": ", reader.message));
  }
  const bool grey = (reader.format & PNG_FORMAT_FLAG_COLOR) == 0;
  reader.format = grey ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  *image = Image(reader.width, reader.height, grey ? 1 : 3);
  if (!png_image_finish_read(&reader, nullptr, image->pixels.data(), 0, nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot decode PNG ", path, ": ", reader.message));
  }
  return absl::OkStatus();
}

}  // namespace tessera
