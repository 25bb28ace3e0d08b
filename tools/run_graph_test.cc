// Runs //tools:run_graph on tools/testdata/small_cnn.pbtxt, forward and
// backward, and compares every output and gradient with PyTorch's
// (tools/testdata/make_small_cnn_golden.py).

#include <cmath>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/npy.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

constexpr char kData[] = "tools/testdata/small_cnn";
const char* kParams[] = {"conv1/weight", "conv1/bias", "conv2/weight",
                         "conv2/bias",   "fc/weight",  "fc/bias"};

int RunGraph(const std::string& args) {
  const std::string command =
      absl::StrCat("tools/run_graph ", args, " 2>", ::testing::TempDir(), "/stderr.txt");
  return std::system(command.c_str());
}

std::string Stderr() {
  FILE* f = fopen((::testing::TempDir() + "/stderr.txt").c_str(), "r");
  std::string s;
  for (int c; f && (c = fgetc(f)) != EOF;) s.push_back(static_cast<char>(c));
  if (f) fclose(f);
  return s;
}

// float32 forward and backward against float64 PyTorch: |a - b| <= 1e-4 + 1e-4 |b|.
void ExpectMatchesGolden(const std::string& produced, const std::string& golden) {
  absl::StatusOr<Tensor> a = ReadNpy(produced);
  absl::StatusOr<Tensor> b = ReadNpy(golden);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->num_elements(), b->num_elements()) << produced;
  const std::vector<float> x = a->ToVector(), y = b->ToVector();
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_NEAR(x[i], y[i], 1e-4 + 1e-4 * std::fabs(y[i])) << produced << "[" << i << "]";
  }
}

TEST(RunGraph, SmallCnnMatchesPyTorchForwardAndBackward) {
  const std::string out = ::testing::TempDir() + "/small_cnn_out";
  const std::string args =
      absl::StrCat("--graph=tools/testdata/small_cnn.pbtxt --inputs=image=", kData,
                   "/inputs/image.npy,label=", kData, "/inputs/label.npy --params_dir=", kData,
                   "/params --outputs=logits,loss --backward_from_loss",
                   " --grads=image,conv1/weight,conv1/bias,conv2/weight,conv2/bias,fc/weight,fc/"
                   "bias --output_dir=",
                   out);
  ASSERT_EQ(RunGraph(args), 0) << Stderr();
  EXPECT_EQ(Stderr().find("initialised"), std::string::npos)
      << "every parameter must come from a file";
  ExpectMatchesGolden(out + "/logits.npy", absl::StrCat(kData, "/golden/logits.npy"));
  ExpectMatchesGolden(out + "/loss.npy", absl::StrCat(kData, "/golden/loss.npy"));
  ExpectMatchesGolden(out + "/grad/image.npy", absl::StrCat(kData, "/golden/grad/image.npy"));
  for (const char* p : kParams) {
    ExpectMatchesGolden(absl::StrCat(out, "/grad/", p, ".npy"),
                        absl::StrCat(kData, "/golden/grad/", p, ".npy"));
  }
}

TEST(RunGraph, BadInputsAreReportedByName) {
  const std::string base =
      absl::StrCat("--graph=tools/testdata/small_cnn.pbtxt --params_dir=", kData,
                   "/params --output_dir=", ::testing::TempDir(), "/bad");
  // A float32 file of the wrong shape for the image.
  EXPECT_NE(RunGraph(absl::StrCat(base, " --inputs=image=", kData,
                                  "/params/fc/weight.npy,label=", kData, "/inputs/label.npy")),
            0);
  EXPECT_NE(Stderr().find("input 'image' has shape [3,20]"), std::string::npos) << Stderr();
  // Not an .npy file at all.
  EXPECT_NE(RunGraph(absl::StrCat(base, " --inputs=image=tools/testdata/small_cnn.pbtxt,label=",
                                  kData, "/inputs/label.npy")),
            0);
  EXPECT_NE(Stderr().find("bad magic"), std::string::npos) << Stderr();
  EXPECT_NE(RunGraph(absl::StrCat(base, " --inputs=nothing=x.npy")), 0);
  EXPECT_NE(Stderr().find("'nothing'"), std::string::npos) << Stderr();
  EXPECT_NE(RunGraph(absl::StrCat(base, " --params=conv1/weight=", kData, "/params/fc/weight.npy")),
            0);
  EXPECT_NE(Stderr().find("parameter 'conv1/weight'"), std::string::npos) << Stderr();
}

}  // namespace
}  // namespace tessera
