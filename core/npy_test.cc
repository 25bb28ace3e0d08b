#include "core/npy.h"

#include "gtest/gtest.h"

namespace tessera {
namespace {

std::string Npy(const std::string& header_dict, const std::string& data, int version = 1) {
  std::string header = header_dict + "\n";
  std::string out = std::string("\x93NUMPY", 6);
  out.push_back(static_cast<char>(version));
  out.push_back(0);
  if (version == 1) {
    out.push_back(static_cast<char>(header.size()));
    out.push_back(0);
  } else {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(i == 0 ? header.size() : 0));
  }
  return out + header + data;
}

std::string Floats(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

TEST(Npy, RoundTrip) {
  for (const Shape& shape : {Shape{}, Shape{3}, Shape{2, 3}, Shape{1, 2, 1, 2}, Shape{0, 4}}) {
    std::vector<float> values(NumElements(shape));
    for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * i - 1;
    const Tensor t = Tensor::FromVector(shape, values);
    const std::string bytes = SerializeNpy(t);
    EXPECT_EQ(bytes.find("NUMPY"), 1u);
    absl::StatusOr<Tensor> back = ParseNpy(bytes, "t.npy");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->shape(), shape);
    EXPECT_EQ(back->ToVector(), values);
  }
}

TEST(Npy, ReadsVersions2And3AndDoubleQuotes) {
  const std::string data = Floats({1, 2});
  for (int version : {2, 3}) {
    auto t = ParseNpy(
        Npy("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,), }", data, version),
        "v");
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->ToVector(), (std::vector<float>{1, 2}));
  }
}

struct Bad {
  const char* name;
  std::string bytes;
  const char* expect;
};

TEST(Npy, RejectsBadFilesWithAClearMessage) {
  const std::string good_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  const Bad cases[] = {
      {"magic", "hello world, not numpy", "bad magic"},
      {"version", Npy(good_header, Floats({1, 2, 3, 4}), 7), "version 7"},
      {"dtype_f8",
       Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", std::string(16, 0)),
       "dtype <f8"},
      {"dtype_big_endian",
       Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", Floats({1, 2})),
       "dtype >f4"},
      {"fortran",
       Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", Floats({1, 2, 3, 4})),
       "Fortran"},
      {"short_data", Npy(good_header, Floats({1, 2, 3})), "needs 16 bytes"},
      {"long_data", Npy(good_header, Floats({1, 2, 3, 4, 5})), "file has 20"},
      {"bad_shape", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", ""),
       "bad shape"},
      {"no_shape", Npy("{'descr': '<f4', 'fortran_order': False, }", ""), "lacks 'shape'"},
      {"truncated_header", std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 18),
       "truncated header"},
  };
  for (const Bad& c : cases) {
    absl::StatusOr<Tensor> t = ParseNpy(c.bytes, "bad.npy");
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_NE(t.status().message().find(c.expect), std::string::npos)
        << c.name << ": " << t.status();
    EXPECT_NE(t.status().message().find("bad.npy"), std::string::npos) << c.name;
  }
  EXPECT_FALSE(ReadNpy("/nonexistent.npy").ok());
}

}  // namespace
}  // namespace tessera
