#ifndef TESSERA_DISTRIBUTED_MPI_STATUS_H_
#define TESSERA_DISTRIBUTED_MPI_STATUS_H_

// An MPI return code as a Status (internal to //distributed:communicator).

#include <openmpi/mpi.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tessera::distributed {

// OK for MPI_SUCCESS; otherwise "<what> failed: <MPI's text for the code>".
inline absl::Status MpiStatus(int code, const char* what) {
  if (code == MPI_SUCCESS) return absl::OkStatus();
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return absl::UnavailableError(absl::StrCat(what, " failed: ", std::string(text, length)));
}

}  // namespace tessera::distributed

#endif  // TESSERA_DISTRIBUTED_MPI_STATUS_H_
