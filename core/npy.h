#ifndef TESSERA_CORE_NPY_H_
#define TESSERA_CORE_NPY_H_

// NumPy .npy files (format versions 1.0, 2.0 and 3.0) holding float32
// little-endian arrays in C order: how Tessera exchanges tensors with NumPy
// and PyTorch. Anything else (another dtype, Fortran order, a header that
// does not parse, a size that does not match the shape) is an error naming
// the file and the problem.

#include <string>

#include "absl/status/statusor.h"
#include "core/tensor.h"

namespace tessera {

absl::StatusOr<Tensor> ReadNpy(const std::string& path);
// The same on bytes in memory; `source` names them in errors.
absl::StatusOr<Tensor> ParseNpy(const std::string& bytes, const std::string& source);
// Writes a version 1.0 file ('<f4', C order). The tensor may be on any device.
absl::Status WriteNpy(const std::string& path, const Tensor& tensor);
std::string SerializeNpy(const Tensor& tensor);

}  // namespace tessera

#endif  // TESSERA_CORE_NPY_H_
