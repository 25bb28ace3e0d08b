#ifndef TESSERA_TOOLS_CLI_UTIL_H_
#define TESSERA_TOOLS_CLI_UTIL_H_

// Small helpers shared by the command-line tools in tools/.

#include <cstdlib>
#include <string>

namespace tessera {

// A path given on the command line of `bazel run`, whose working directory
// is the runfiles tree: a relative path is taken relative to the directory
// bazel run was called from ($BUILD_WORKING_DIRECTORY); outside bazel run
// it is left as it is.
inline std::string UserPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  return dir ? std::string(dir) + "/" + path : path;
}

}  // namespace tessera

#endif  // TESSERA_TOOLS_CLI_UTIL_H_
