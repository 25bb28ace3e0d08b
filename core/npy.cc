#include "core/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tessera {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;

// Finds the value text of `key` in a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
absl::StatusOr<std::string> DictValue(const std::string& header, const std::string& key) {
  const std::string quoted[] = {"'" + key + "'", "\"" + key + "\""};
  size_t at = std::string::npos;
  for (const std::string& q : quoted) {
    at = header.find(q);
    if (at != std::string::npos) {
      at += q.size();
      break;
    }
  }
  if (at == std::string::npos)
    return absl::InvalidArgumentError(absl::StrCat("header lacks '", key, "'"));
  at = header.find(':', at);
  if (at == std::string::npos)
    return absl::InvalidArgumentError(absl::StrCat("no value for '", key, "'"));
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  if (at >= header.size())
    return absl::InvalidArgumentError(absl::StrCat("no value for '", key, "'"));
  size_t end;
  if (header[at] == '(') {
    end = header.find(')', at);
    if (end == std::string::npos) return absl::InvalidArgumentError("unterminated shape tuple");
    ++end;
  } else if (header[at] == '\'' || header[at] == '"') {
    end = header.find(header[at], at + 1);
    if (end == std::string::npos)
      return absl::InvalidArgumentError(absl::StrCat("unterminated '", key, "'"));
    ++end;
  } else {
    end = header.find_first_of(",}", at);
    if (end == std::string::npos) end = header.size();
  }
  return std::string(absl::StripAsciiWhitespace(header.substr(at, end - at)));
}

}  // namespace

absl::StatusOr<Tensor> ParseNpy(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& problem) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", problem));
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, kMagicBytes) != 0) {
    return fail("not a .npy file (bad magic)");
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return fail("truncated header");
    header_len = 0;
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return fail(absl::StrCat(".npy format version ", major, " is not supported (1, 2 or 3)"));
  }
  if (header_len > bytes.size() - header_start) return fail("truncated header");
  const std::string header = bytes.substr(header_start, header_len);
  absl::StatusOr<std::string> descr = DictValue(header, "descr");
  absl::StatusOr<std::string> fortran = DictValue(header, "fortran_order");
  absl::StatusOr<std::string> shape_text = DictValue(header, "shape");
  for (const auto* s : {&descr, &fortran, &shape_text}) {
    if (!s->ok()) return fail(absl::StrCat("bad header: ", s->status().message()));
  }
  const std::string dtype(
      absl::StripPrefix(absl::StripSuffix(absl::StripPrefix(*descr, "'"), "'"), "\""));
  const std::string dtype_clean(absl::StripSuffix(dtype, "\""));
  if (dtype_clean != "<f4") {
    return fail(absl::StrCat("dtype ", dtype_clean,
                             " is not supported: Tessera reads float32 little-endian ('<f4'); "
                             "convert with array.astype(numpy.float32)"));
  }
  if (*fortran != "False") {
    return fail("Fortran-order arrays are not supported; save numpy.ascontiguousarray(array)");
  }
  std::string inner(absl::StripSuffix(absl::StripPrefix(*shape_text, "("), ")"));
  Shape shape;
  for (absl::string_view part : absl::StrSplit(inner, ',', absl::SkipWhitespace())) {
    int64_t d;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &d) || d < 0) {
      return fail(absl::StrCat("bad shape ", *shape_text));
    }
    if (d > (int64_t{1} << 40)) return fail(absl::StrCat("dimension ", d, " is too large"));
    shape.push_back(d);
  }
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d != 0 && count > (int64_t{1} << 40) / d) return fail("shape is too large");
    count *= d;
  }
  const size_t data_start = header_start + header_len;
  const size_t data_bytes = bytes.size() - data_start;
  if (data_bytes != static_cast<size_t>(count) * sizeof(float)) {
    return fail(absl::StrCat("shape ", *shape_text, " needs ", count * sizeof(float),
                             " bytes of data, file has ", data_bytes));
  }
  std::vector<float> values(count);
  if (count > 0)
    std::memcpy(values.data(), bytes.data() + data_start, data_bytes);  // x86: little-endian
  return Tensor::FromVector(shape, values);
}

absl::StatusOr<Tensor> ReadNpy(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open .npy file ", path));
  std::stringstream bytes;
  bytes << file.rdbuf();
  return ParseNpy(bytes.str(), path);
}

std::string SerializeNpy(const Tensor& tensor) {
  std::string shape = absl::StrJoin(tensor.shape(), ", ");
  if (tensor.rank() == 1) shape += ",";
  std::string header =
      absl::StrCat("{'descr': '<f4', 'fortran_order': False, 'shape': (", shape, "), }");
  // Pad with spaces so that the data starts on a 64-byte boundary.
  const size_t unpadded = kMagicBytes + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string out(kMagic, kMagicBytes);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  const std::vector<float> values = tensor.ToVector();
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  return out;
}

absl::Status WriteNpy(const std::string& path, const Tensor& tensor) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::InternalError(absl::StrCat("cannot create ", path));
  const std::string bytes = SerializeNpy(tensor);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file.good()) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace tessera
