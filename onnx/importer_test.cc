// The importer on bad input: each kind of broken file gets an error that
// names the problem (and the node, op or tensor), never a crash.

#include "onnx/importer.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onnx/exporter.h"

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

// MaxPool's int64 Indices and Dropout's bool mask are float32 tensors in
// Tessera: allowed as graph outputs of their declared type, an error
// wherever a node would read them or the output declares another type.
TEST(Importer, IntegerOutputsAreGraphOutputsOnly) {
  auto pool_model = [](int64_t storage_order) {
    onnx::ModelProto m = SmallModel();
    onnx::GraphProto* g = m.mutable_graph();
    g->clear_node();
    g->clear_initializer();
    g->clear_output();
    *g->mutable_input(0) = FloatValue("x", {-1, 2, 4, 6});
    onnx::NodeProto* pool = AddNode(g, "MaxPool", {"x"}, "y");
    pool->add_output("z");
    for (const char* name : {"kernel_shape", "strides"}) {
      auto* k = pool->add_attribute();
      k->set_name(name);
      k->set_type(onnx::AttributeProto::INTS);
      for (int64_t v : {2, 3}) k->add_ints(v);
    }
    auto* order = pool->add_attribute();
    order->set_name("storage_order");
    order->set_type(onnx::AttributeProto::INT);
    order->set_i(storage_order);
    *g->add_output() = FloatValue("y", {-1, 2, 2, 2});
    *g->add_output() = FloatValue("z", {-1, 2, 2, 2});
    g->mutable_output(1)->mutable_type()->mutable_tensor_type()->set_elem_type(
        onnx::TensorProto::INT64);
    return m;
  };
  // Two images of two channels: column-major indices into the whole x.
  std::vector<float> x(2 * 2 * 4 * 6);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7) % 23);
  absl::StatusOr<GraphDef> def = ImportModelBytes(Bytes(pool_model(1)), "m.onnx", "");
  ASSERT_TRUE(def.ok()) << def.status();
  absl::StatusOr<Graph> graph = Graph::Build(*def);
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 0, Device::kCpu);
  absl::StatusOr<std::unique_ptr<Executor>> executor = Executor::Create(*graph, params);
  ASSERT_TRUE(executor.ok());
  ASSERT_TRUE((*executor)->Forward({{"x", Tensor::FromVector({2, 2, 4, 6}, x)}}, false).ok());
  const std::vector<float> y = (*executor)->Value(def->output(0))->ToVector();
  const std::vector<float> z = (*executor)->Value(def->output(1))->ToVector();
  ASSERT_EQ(z.size(), 16u);
  for (int64_t o = 0; o < 16; ++o) {
    const int64_t plane = o / 4, i = o % 4 / 2, j = o % 2;
    int64_t best = -1;
    for (int64_t r = 2 * i; r < 2 * i + 2; ++r) {
      for (int64_t q = 3 * j; q < 3 * j + 3; ++q) {
        const int64_t at = plane * 24 + r * 6 + q;
        if (best < 0 || x[at] > x[best]) best = at;
      }
    }
    const int64_t r = best % 24 / 6, q = best % 6;
    EXPECT_EQ(y[o], x[best]) << o;
    EXPECT_EQ(z[o], static_cast<float>(plane * 24 + q * 4 + r)) << o;
  }

  // Declared as float: not what the value is.
  onnx::ModelProto m = pool_model(0);
  m.mutable_graph()->mutable_output(1)->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::FLOAT);
  EXPECT_THAT(std::string(Import(m).message()),
              HasSubstr("output 'z': has element type FLOAT; the value is INT64"));
  // Read by a float op.
  m = pool_model(0);
  AddNode(m.mutable_graph(), "Relu", {"z"}, "r");
  EXPECT_THAT(std::string(Import(m).message()),
              HasSubstr("node 'r_node' (Relu): input 'z' is INT64 (Tessera holds it as float32"));
}

// Export then import: maxpool2d indices (ONNX Indices, storage_order 1) and
// a dropout forced to train (training_mode true) with its mask come back as
// the same Tessera nodes, and the outputs are bitwise the same (the mask
// from the same seed).
TEST(Importer, IndicesAndMaskSurviveExportAndImport) {
  absl::StatusOr<Graph> graph = Graph::FromText(R"pb(
                                                  input {
                                                    name: "x"
                                                    shape: [ -1, 3, 6, 5 ]
                                                  }
                                                  node {
                                                    name: "pool"
                                                    op: "maxpool2d"
                                                    input: "x"
                                                    attr {
                                                      key: "kernel"
                                                      value { ints { v: [ 2, 2 ] } }
                                                    }
                                                    attr {
                                                      key: "stride"
                                                      value { ints { v: [ 1, 2 ] } }
                                                    }
                                                    attr {
                                                      key: "indices"
                                                      value { s: "flat_column_major" }
                                                    }
                                                  }
                                                  node {
                                                    name: "drop"
                                                    op: "dropout"
                                                    input: "pool"
                                                    attr {
                                                      key: "rate"
                                                      value { f: 0.4 }
                                                    }
                                                    attr {
                                                      key: "force_training"
                                                      value { b: true }
                                                    }
                                                  }
                                                  output: "drop"
                                                  output: "drop:1"
                                                  output: "pool:1"
                                                )pb",
                                                "round_trip");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 0, Device::kCpu);
  absl::StatusOr<onnx::ModelProto> model = onnx_export::ExportModel(*graph, params);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_TRUE(onnx_export::CheckModel(*model).ok()) << onnx_export::CheckModel(*model);
  EXPECT_EQ(model->graph().output(1).type().tensor_type().elem_type(), onnx::TensorProto::BOOL);
  EXPECT_EQ(model->graph().output(2).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  absl::StatusOr<GraphDef> def = ImportModelBytes(Bytes(*model), "m.onnx", "");
  ASSERT_TRUE(def.ok()) << def.status();
  absl::StatusOr<Graph> imported = Graph::Build(*def);
  ASSERT_TRUE(imported.ok()) << imported.status();
  ParameterStore imported_params = ParameterStore::Initialize(*imported, 0, Device::kCpu);

  std::vector<float> xv(4 * 3 * 6 * 5);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>((i * 37) % 101) - 50.0f;
  const Tensor x = Tensor::FromVector({4, 3, 6, 5}, xv);
  auto run = [&](const Graph& g, ParameterStore& p, const std::string& input) {
    std::vector<std::vector<float>> out;
    absl::StatusOr<std::unique_ptr<Executor>> e = Executor::Create(g, p);
    EXPECT_TRUE(e.ok());
    // An evaluation forward: force_training still drops.
    EXPECT_TRUE((*e)->Forward({{input, x}}, /*training=*/false, /*seed=*/5).ok());
    for (const std::string& name : g.def().output()) out.push_back((*e)->Value(name)->ToVector());
    return out;
  };
  const std::vector<std::vector<float>> want = run(*graph, params, "x");
  const std::vector<std::vector<float>> got = run(*imported, imported_params, def->input(0).name());
  ASSERT_EQ(got.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    ASSERT_EQ(got[k].size(), want[k].size());
    EXPECT_EQ(std::memcmp(got[k].data(), want[k].data(), want[k].size() * sizeof(float)), 0) << k;
  }
  // Something was dropped and something kept.
  EXPECT_NE(std::count(want[1].begin(), want[1].end(), 0.0f), 0);
  EXPECT_NE(std::count(want[1].begin(), want[1].end(), 1.0f), 0);
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
