#ifndef TESSERA_ONNX_ONNX_TENSOR_H_
#define TESSERA_ONNX_ONNX_TENSOR_H_

// ONNX TensorProto <-> values: float (float_data, raw_data, double) and
// integer (int64, int32, bool) tensors, stored inline or as external data
// next to the model. Every inconsistency (a count that does not match the
// dims, a missing external file, an unsupported dtype) is an error naming
// the tensor.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "onnx/onnx_pb.h"

namespace tessera::onnx_import {

struct OnnxTensor {
  std::string name;
  Shape dims;
  bool is_float = true;       // float-like (FLOAT, DOUBLE): values in `floats`
  std::vector<float> floats;  // FLOAT, DOUBLE
  std::vector<int64_t> ints;  // INT64, INT32, BOOL, ...
  int64_t size() const { return is_float ? floats.size() : ints.size(); }
};

// `base_dir` is the model file's directory (external data lives there), or
// empty for a model read from memory, where external data is an error.
absl::StatusOr<OnnxTensor> ReadTensor(const onnx::TensorProto& proto, const std::string& base_dir);

// A float TensorProto holding `tensor`'s values (copied to the host).
onnx::TensorProto FloatTensorProto(const std::string& name, const Tensor& tensor);
onnx::TensorProto Int64TensorProto(const std::string& name, const std::vector<int64_t>& values);

std::string DataTypeName(int32_t data_type);

}  // namespace tessera::onnx_import

#endif  // TESSERA_ONNX_ONNX_TENSOR_H_
