#include "onnx/onnx_tensor.h"

#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace tessera::onnx_import {
namespace {

using onnx::TensorProto;

absl::Status Fail(const std::string& name, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': ", problem));
}

// The bytes of an external-data tensor, read from a file next to the model.
absl::StatusOr<std::string> ReadExternal(const TensorProto& proto, const std::string& base_dir) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      int64_t v = 0;
      if (entry.value().empty() || entry.value().size() > 18 ||
          entry.value().find_first_not_of("0123456789") != std::string::npos) {
        return Fail(proto.name(), absl::StrCat("external data ", entry.key(), " '", entry.value(),
                                               "' is not a number"));
      }
      v = std::stoll(entry.value());
      (entry.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) return Fail(proto.name(), "external data has no location");
  if (location[0] == '/' || location.find("..") != std::string::npos) {
    return Fail(proto.name(), absl::StrCat("external data location '", location,
                                           "' leaves the model's directory"));
  }
  if (base_dir.empty()) {
    return Fail(proto.name(), absl::StrCat("external data '", location,
                                           "' cannot be read for a model given in memory"));
  }
  const std::string path = base_dir + "/" + location;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("tensor '", proto.name(), "': external data file ", path, " is missing"));
  }
  file.seekg(0, std::ios::end);
  const int64_t file_size = file.tellg();
  if (length < 0) length = file_size - offset;
  if (offset < 0 || offset > file_size || length > file_size - offset) {
    return Fail(proto.name(),
                absl::StrCat("external data offset ", offset, " + length ", length,
                             " is past the end of ", path, " (", file_size, " bytes)"));
  }
  std::string bytes(length, '\0');
  file.seekg(offset);
  file.read(bytes.data(), length);
  if (!file) return Fail(proto.name(), absl::StrCat("cannot read ", path));
  return bytes;
}

template <typename T>
std::vector<T> FromRaw(const std::string& raw) {
  std::vector<T> out(raw.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), raw.data(), out.size() * sizeof(T));
  return out;
}

}  // namespace

std::string DataTypeName(int32_t data_type) {
  if (!TensorProto::DataType_IsValid(data_type)) return absl::StrCat("unknown type ", data_type);
  return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(data_type));
}

absl::StatusOr<OnnxTensor> ReadTensor(const TensorProto& proto, const std::string& base_dir) {
  OnnxTensor t;
  t.name = proto.name();
  int64_t expected = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0 || d > kMaxDimension) {
      return Fail(proto.name(), absl::StrCat("dimension ", d, " is invalid"));
    }
    expected *= d;
    if (expected > kMaxDimension) return Fail(proto.name(), "has too many values");
    t.dims.push_back(d);
  }
  if (proto.has_segment()) return Fail(proto.name(), "segmented tensors are not supported");
  std::string raw;
  const bool has_raw = proto.has_raw_data() || proto.data_location() == TensorProto::EXTERNAL;
  if (proto.data_location() == TensorProto::EXTERNAL) {
    TS_ASSIGN_OR_RETURN(raw, ReadExternal(proto, base_dir));
  } else {
    raw = proto.raw_data();
  }
  size_t element_size = 0;
  switch (proto.data_type()) {
    case TensorProto::FLOAT:
      element_size = 4;
      if (has_raw) {
        t.floats = FromRaw<float>(raw);
      } else {
        t.floats.assign(proto.float_data().begin(), proto.float_data().end());
      }
      break;
    case TensorProto::DOUBLE: {
      element_size = 8;
      std::vector<double> d =
          has_raw ? FromRaw<double>(raw)
                  : std::vector<double>(proto.double_data().begin(), proto.double_data().end());
      t.floats.assign(d.begin(), d.end());
      break;
    }
    case TensorProto::INT64:
      element_size = 8;
      t.is_float = false;
      t.ints = has_raw ? FromRaw<int64_t>(raw)
                       : std::vector<int64_t>(proto.int64_data().begin(), proto.int64_data().end());
      break;
    case TensorProto::INT32:
      element_size = 4;
      t.is_float = false;
      if (has_raw) {
        std::vector<int32_t> v = FromRaw<int32_t>(raw);
        t.ints.assign(v.begin(), v.end());
      } else {
        t.ints.assign(proto.int32_data().begin(), proto.int32_data().end());
      }
      break;
    case TensorProto::BOOL:
      element_size = 1;
      t.is_float = false;
      if (has_raw) {
        for (char c : raw) t.ints.push_back(c != 0);
      } else {
        t.ints.assign(proto.int32_data().begin(), proto.int32_data().end());
      }
      break;
    default:
      return Fail(proto.name(), absl::StrCat("data type ", DataTypeName(proto.data_type()),
                                             " is not supported (float, double, int64, int32 and "
                                             "bool are)"));
  }
  if (has_raw && raw.size() != static_cast<size_t>(expected) * element_size) {
    return Fail(proto.name(),
                absl::StrCat("holds ", raw.size(), " bytes, dims ", ShapeToString(t.dims), " of ",
                             DataTypeName(proto.data_type()), " need ",
                             expected * static_cast<int64_t>(element_size)));
  }
  if (t.size() != expected) {
    return Fail(proto.name(), absl::StrCat("holds ", t.size(), " values, dims ",
                                           ShapeToString(t.dims), " need ", expected));
  }
  return t;
}

onnx::TensorProto FloatTensorProto(const std::string& name, const Tensor& tensor) {
  TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(TensorProto::FLOAT);
  for (int64_t d : tensor.shape()) proto.add_dims(d);
  const std::vector<float> values = tensor.ToVector();
  proto.set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return proto;
}

onnx::TensorProto Int64TensorProto(const std::string& name, const std::vector<int64_t>& values) {
  TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(TensorProto::INT64);
  proto.add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) proto.add_int64_data(v);
  return proto;
}

}  // namespace tessera::onnx_import
