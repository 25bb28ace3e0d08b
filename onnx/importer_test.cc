// The importer on bad input: each kind of broken file gets an error that
// names the problem (and the node, op or tensor), never a crash.

#include "onnx/importer.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tessera::onnx_import {
namespace {

using ::testing::HasSubstr;

onnx::ValueInfoProto FloatValue(const std::string& name, std::vector<int64_t> dims) {
  onnx::ValueInfoProto v;
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) {
    if (d < 0) {
      t->mutable_shape()->add_dim()->set_dim_param("batch");
    } else {
      t->mutable_shape()->add_dim()->set_dim_value(d);
    }
  }
  return v;
}

onnx::TensorProto Weight(const std::string& name, std::vector<int64_t> dims, float value) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t.add_dims(d);
    n *= d;
  }
  for (int64_t i = 0; i < n; ++i) t.add_float_data(value + 0.01f * i);
  return t;
}

onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op,
                         std::vector<std::string> inputs, const std::string& output) {
  onnx::NodeProto* n = g->add_node();
  n->set_name(output + "_node");
  n->set_op_type(op);
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(output);
  return n;
}

// x [batch, 4] -> Gemm (W [3, 4], transB) -> Relu -> y [batch, 3].
onnx::ModelProto SmallModel(int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("small");
  *g->add_input() = FloatValue("x", {-1, 4});
  *g->add_initializer() = Weight("W", {3, 4}, 0.5f);
  *g->add_initializer() = Weight("b", {3}, -0.1f);
  onnx::NodeProto* gemm = AddNode(g, "Gemm", {"x", "W", "b"}, "h");
  auto* trans = gemm->add_attribute();
  trans->set_name("transB");
  trans->set_type(onnx::AttributeProto::INT);
  trans->set_i(1);
  AddNode(g, "Relu", {"h"}, "y");
  *g->add_output() = FloatValue("y", {-1, 3});
  return m;
}

std::string Bytes(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

absl::Status Import(const onnx::ModelProto& m) {
  return ImportModelBytes(Bytes(m), "m.onnx", "").status();
}

// The model imported, built and run on input "x": its first output.
absl::StatusOr<std::vector<float>> ImportAndRun(const onnx::ModelProto& m, const Tensor& x) {
  TS_ASSIGN_OR_RETURN(GraphDef def, ImportModelBytes(Bytes(m), "m.onnx", ""));
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::Build(def));
  ParameterStore params = ParameterStore::Initialize(graph, 0, Device::kCpu);
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, Executor::Create(graph, params));
  TS_RETURN_IF_ERROR(executor->Forward({{"x", x}}, false));
  TS_ASSIGN_OR_RETURN(Tensor y, executor->Value(def.output(0)));
  return y.ToVector();
}

TEST(Importer, SmallModelImportsAndRuns) {
  absl::StatusOr<std::vector<float>> run =
      ImportAndRun(SmallModel(), Tensor::FromVector({1, 4}, {1, 2, 3, 4}));
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<float>& y = *run;
  // y_j = relu(sum_k x_k (0.5 + 0.01 (4 j + k)) + (-0.1 + 0.01 j)).
  for (int j = 0; j < 3; ++j) {
    double want = -0.1 + 0.01 * j;
    for (int k = 0; k < 4; ++k) want += (k + 1) * (0.5 + 0.01 * (4 * j + k));
    EXPECT_NEAR(y[j], want, 1e-5) << j;
  }
}

// Asymmetric pads (e.g. TensorFlow's SAME with stride 2) become an explicit
// zero padding: a 1x1 identity convolution then returns the padded input.
TEST(Importer, AsymmetricConvPadsAreExact) {
  onnx::ModelProto m = SmallModel();
  onnx::GraphProto* g = m.mutable_graph();
  g->clear_node();
  g->clear_initializer();
  *g->mutable_input(0) = FloatValue("x", {1, 1, 2, 2});
  *g->add_initializer() = Weight("W", {1, 1, 1, 1}, 1.0f);
  onnx::NodeProto* conv = AddNode(g, "Conv", {"x", "W"}, "y");
  auto* pads = conv->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int64_t p : {1, 0, 0, 2}) pads->add_ints(p);  // top 1, right 2
  *g->mutable_output(0) = FloatValue("y", {1, 1, 3, 4});
  absl::StatusOr<std::vector<float>> y =
      ImportAndRun(m, Tensor::FromVector({1, 1, 2, 2}, {1, 2, 3, 4}));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, std::vector<float>({0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}));
}

// AveragePool without the pads in the count, on pads Tessera's avgpool2d
// cannot take (end only): pad2d, a pool and a per-position rescale, which
// must give the mean of each window's input cells for any batch size.
TEST(Importer, AsymmetricAveragePoolCountsInputCellsOnly) {
  onnx::ModelProto m = SmallModel();
  onnx::GraphProto* g = m.mutable_graph();
  g->clear_node();
  g->clear_initializer();
  *g->mutable_input(0) = FloatValue("x", {-1, 1, 3, 3});
  onnx::NodeProto* pool = AddNode(g, "AveragePool", {"x"}, "y");
  const std::vector<std::pair<const char*, std::vector<int64_t>>> ints = {
      {"kernel_shape", {2, 2}}, {"strides", {1, 1}}, {"pads", {0, 0, 1, 1}}};
  for (const auto& [name, values] : ints) {
    auto* a = pool->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  *g->mutable_output(0) = FloatValue("y", {-1, 1, 3, 3});
  const int64_t batch = 3;  // not the importer's nominal batch
  std::vector<float> x(batch * 9);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i * i % 7);
  absl::StatusOr<std::vector<float>> run = ImportAndRun(m, Tensor::FromVector({batch, 1, 3, 3}, x));
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<float>& y = *run;
  ASSERT_EQ(y.size(), x.size());
  for (int64_t b = 0; b < batch; ++b) {
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        double sum = 0;
        int count = 0;
        for (int r = i; r < std::min(i + 2, 3); ++r) {
          for (int c = j; c < std::min(j + 2, 3); ++c, ++count) sum += x[b * 9 + r * 3 + c];
        }
        EXPECT_NEAR(y[b * 9 + i * 3 + j], sum / count, 1e-5) << b << " " << i << " " << j;
      }
    }
  }
}

TEST(Importer, TruncatedProtobufIsAnError) {
  onnx::ModelProto m = SmallModel();
  *m.mutable_graph()->add_initializer() = Weight("big", {1000}, 1.0f);
  const std::string bytes = Bytes(m);
  for (size_t cut : {bytes.size() / 2, bytes.size() - 3}) {
    absl::StatusOr<GraphDef> def = ImportModelBytes(bytes.substr(0, cut), "cut.onnx", "");
    ASSERT_FALSE(def.ok()) << cut;
    EXPECT_THAT(def.status().message(), HasSubstr("cut.onnx"));
  }
  absl::StatusOr<GraphDef> def =
      ImportModelBytes(bytes.substr(0, bytes.size() / 2), "cut.onnx", "");
  EXPECT_THAT(def.status().message(), HasSubstr("not a valid ONNX model"));
}

TEST(Importer, GarbageIsAnError) {
  for (const std::string& garbage : {std::string("this is not an onnx file"),
                                     std::string("\xff\xff\xff\xff\x0f", 5), std::string()}) {
    absl::StatusOr<GraphDef> def = ImportModelBytes(garbage, "junk.onnx", "");
    ASSERT_FALSE(def.ok());
    EXPECT_THAT(def.status().message(), HasSubstr("junk.onnx"));
  }
}

TEST(Importer, NewerOpsetOrIrVersionIsAnError) {
  EXPECT_THAT(Import(SmallModel(18)).message(),
              HasSubstr("opset 18 is newer than the newest supported (17)"));
  onnx::ModelProto m = SmallModel();
  m.set_ir_version(9);
  EXPECT_THAT(Import(m).message(), HasSubstr("IR version 9 is newer"));
}

TEST(Importer, MissingExternalDataNamesTheFile) {
  const std::string dir = ::testing::TempDir() + "/external";
  std::filesystem::create_directories(dir);
  onnx::ModelProto m = SmallModel();
  onnx::TensorProto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* location = w->add_external_data();
  location->set_key("location");
  location->set_value("weights.bin");
  {
    std::ofstream f(dir + "/model.onnx", std::ios::binary);
    m.SerializeToOstream(&f);
  }
  absl::StatusOr<GraphDef> def = ImportModelFile(dir + "/model.onnx");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(def.status().message(), HasSubstr("tensor 'W': external data file"));
  EXPECT_THAT(def.status().message(), HasSubstr("weights.bin is missing"));

  // Present but too short, then right.
  std::vector<float> values(12, 0.25f);
  std::ofstream(dir + "/weights.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(values.data()), 8 * sizeof(float));
  def = ImportModelFile(dir + "/model.onnx");
  ASSERT_FALSE(def.ok());
  EXPECT_THAT(def.status().message(), HasSubstr("holds 32 bytes"));
  std::ofstream(dir + "/weights.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  def = ImportModelFile(dir + "/model.onnx");
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ(def->parameter(0).init().values(0), 0.25f);

  // Outside the model's directory.
  location->set_value("../etc/passwd");
  EXPECT_THAT(Import(m).message(), HasSubstr("leaves the model's directory"));
}

TEST(Importer, MismatchedInitializerShapesAreErrors) {
  onnx::ModelProto m = SmallModel();
  m.mutable_graph()->mutable_initializer(0)->add_float_data(1.0f);  // 13 values for [3, 4]
  EXPECT_THAT(Import(m).message(), HasSubstr("tensor 'W': holds 13 values, dims [3,4] need 12"));

  m = SmallModel();
  *m.mutable_graph()->mutable_initializer(0) = Weight("W", {3, 5}, 0.5f);  // x has 4 features
  const std::string message(Import(m).message());
  EXPECT_THAT(message, HasSubstr("node 'h_node' (Gemm)"));
  EXPECT_THAT(message, HasSubstr("[3,5]"));

  m = SmallModel();
  *m.mutable_graph()->mutable_output(0) = FloatValue("y", {-1, 7});
  EXPECT_THAT(Import(m).message(), HasSubstr("graph output 'y' declares shape [-1,7]"));
}

TEST(Importer, CyclesAndUndefinedNamesAreErrors) {
  onnx::ModelProto m = SmallModel();
  m.mutable_graph()->mutable_node(0)->set_input(0, "y");  // Gemm reads Relu's output
  EXPECT_THAT(Import(m).message(), HasSubstr("cycle through nodes h_node, y_node"));

  m = SmallModel();
  m.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
  EXPECT_THAT(Import(m).message(),
              HasSubstr("node 'y_node' (Relu) reads 'nowhere', which no node, input or "
                        "initializer defines"));

  m = SmallModel();
  AddNode(m.mutable_graph(), "Relu", {"x"}, "h");  // h defined twice
  EXPECT_THAT(Import(m).message(), HasSubstr("value 'h' is defined more than once"));

  m = SmallModel();
  m.mutable_graph()->mutable_node(1)->clear_output();  // found by the fuzzer
  EXPECT_THAT(Import(m).message(), HasSubstr("(Relu): has no output"));

  m = SmallModel();  // found by the fuzzer: indexed the first of no inputs
  AddNode(m.mutable_graph(), "Concat", {}, "c");
  auto* axis = m.mutable_graph()->mutable_node(2)->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(1);
  EXPECT_THAT(Import(m).message(), HasSubstr("(Concat): Concat needs at least one input"));

  m = SmallModel();
  m.mutable_graph()->mutable_output(0)->set_name("missing");
  EXPECT_THAT(Import(m).message(), HasSubstr("graph output 'missing' is not defined"));
}

TEST(Importer, UnsupportedOpsAndAttributesNameNodeOpAndWhat) {
  onnx::ModelProto m = SmallModel();
  m.mutable_graph()->mutable_node(1)->set_op_type("Elu");
  std::string message(Import(m).message());
  EXPECT_THAT(message, HasSubstr("node 'y_node' (Elu): op type Elu has no Tessera equivalent"));

  // An attribute AveragePool does not have before opset 19.
  m = SmallModel();
  {
    onnx::GraphProto* g = m.mutable_graph();
    *g->mutable_input(0) = FloatValue("x", {-1, 1, 4, 4});
    g->clear_node();
    g->clear_initializer();
    onnx::NodeProto* pool = AddNode(g, "AveragePool", {"x"}, "y");
    for (const char* name : {"kernel_shape", "dilations"}) {
      auto* a = pool->add_attribute();
      a->set_name(name);
      a->set_type(onnx::AttributeProto::INTS);
      for (int64_t v : {2, 2}) a->add_ints(v);
    }
    g->mutable_output(0)->clear_type();
  }
  EXPECT_THAT(Import(m).message(),
              HasSubstr("node 'y_node' (AveragePool): attribute 'dilations' is not supported"));

  m = SmallModel();
  auto* attr = m.mutable_graph()->mutable_node(1)->add_attribute();
  attr->set_name("fancy");
  EXPECT_THAT(Import(m).message(),
              HasSubstr("node 'y_node' (Relu): attribute 'fancy' is not supported"));

  // MaxPool without its kernel, on a 4-D input.
  m = SmallModel();
  onnx::GraphProto* g = m.mutable_graph();
  *g->mutable_input(0) = FloatValue("x", {-1, 1, 4, 4});
  g->clear_node();
  g->clear_initializer();
  AddNode(g, "MaxPool", {"x"}, "y");
  g->mutable_output(0)->clear_type();
  EXPECT_THAT(Import(m).message(),
              HasSubstr("node 'y_node' (MaxPool): attribute kernel_shape is missing"));

  m = SmallModel();
  m.mutable_graph()->mutable_node(0)->set_domain("com.microsoft");
  EXPECT_THAT(Import(m).message(), HasSubstr("domain 'com.microsoft' is not supported"));
}

TEST(Importer, OnnxFilesReadWhereverGraphsAre) {
  const std::string path = ::testing::TempDir() + "/small.onnx";
  {
    std::ofstream f(path, std::ios::binary);
    SmallModel().SerializeToOstream(&f);
  }
  absl::StatusOr<Graph> graph = Graph::FromTextFile(path);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->def().parameter_size(), 2);
  EXPECT_EQ(graph->def().parameter(0).init().type(), "values");
  std::ofstream(path, std::ios::binary) << "garbage";
  EXPECT_THAT(Graph::FromTextFile(path).status().message(), HasSubstr("not a valid ONNX model"));
}

}  // namespace
}  // namespace tessera::onnx_import
