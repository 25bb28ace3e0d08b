#ifndef TESSERA_DATASETS_TEST_DATA_H_
#define TESSERA_DATASETS_TEST_DATA_H_

// Tests that need a dataset tools/setup.sh installs (the MNIST digits,
// Fashion-MNIST) skip without it on a developer's machine but fail on CI,
// where a missing dataset means the setup broke and a skipped suite would
// read as a passing one. CI is recognised by CI=true or
// TESSERA_REQUIRE_DATA=1 (which .ci/run sets); .bazelrc passes both, and
// XDG_CACHE_HOME, into tests.
//
//   TEST(Trainer, Something) {
//     TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
//     ...

#include <cstdlib>
#include <filesystem>
#include <string>

#include "datasets/idx.h"
#include "datasets/mnist_digits.h"
#include "gtest/gtest.h"

namespace tessera::datasets {

inline bool DataRequired() {
  const char* ci = std::getenv("CI");
  const char* required = std::getenv("TESSERA_REQUIRE_DATA");
  return (ci != nullptr && std::string(ci) == "true") ||
         (required != nullptr && std::string(required) == "1");
}

inline bool HaveMnistDigits() {
  return std::filesystem::exists(DefaultMnistDigitsDir() + "/9.json");
}

inline bool HaveFashionMnist() {
  return std::filesystem::exists(DefaultFashionMnistDir() + "/t10k-images-idx3-ubyte.gz");
}

}  // namespace tessera::datasets

// Returns from the test (or SetUp) unless `present`: a failure where data is
// required, a skip elsewhere.
#define TESSERA_REQUIRE_DATA(present, what)                                                \
  do {                                                                                     \
    if (!(present)) {                                                                      \
      if (::tessera::datasets::DataRequired()) {                                           \
        FAIL() << what << " not found, and this run requires it (CI): run tools/setup.sh"; \
      }                                                                                    \
      GTEST_SKIP() << what << " not found: run tools/setup.sh";                            \
    }                                                                                      \
  } while (0)

#endif  // TESSERA_DATASETS_TEST_DATA_H_
