#include "core/graph.h"

#include "gtest/gtest.h"

namespace tessera {
namespace {

constexpr char kHeader[] = R"pb(
  input {
    name: "x"
    shape: [ -1, 3 ]
  }
  parameter {
    name: "w"
    shape: [ 3 ]
    init { type: "constant" value: 1 }
  }
)pb";

absl::StatusOr<Graph> Build(const std::string& body) {
  return Graph::FromText(std::string(kHeader) + body, "test.pbtxt");
}

TEST(Graph, BuildsAndOrdersTopologically) {
  // Nodes listed out of order on purpose.
  absl::StatusOr<Graph> graph = Build(R"pb(
    node { name: "loss" op: "test_sum" input: "b" }
    node {
      name: "b"
      op: "test_scale"
      input: "a"
      attr {
        key: "factor"
        value { f: 3 }
      }
    }
    node { name: "a" op: "test_scale" input: "x" }
    loss: "loss"
  )pb");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->nodes().size(), 3u);
  EXPECT_EQ(graph->nodes()[0].name, "a");
  EXPECT_EQ(graph->nodes()[1].name, "b");
  EXPECT_EQ(graph->nodes()[2].name, "loss");
  EXPECT_FLOAT_EQ(graph->nodes()[1].attrs.GetFloat("factor"), 3.0f);
  EXPECT_FLOAT_EQ(graph->nodes()[0].attrs.GetFloat("factor"), 2.0f);  // default
  auto shapes = graph->InferShapes(5);
  ASSERT_TRUE(shapes.ok());
  EXPECT_EQ(shapes->at("b"), (Shape{5, 3}));
}

struct BadGraph {
  const char* name;
  const char* body;
  std::vector<const char*> message_parts;  // each must appear in the error
};

class GraphErrors : public testing::TestWithParam<BadGraph> {};

TEST_P(GraphErrors, RejectedWithAMessageNamingTheProblem) {
  absl::StatusOr<Graph> graph = Build(GetParam().body);
  ASSERT_FALSE(graph.ok()) << "graph was accepted";
  const std::string message(graph.status().message());
  for (const char* part : GetParam().message_parts) {
    EXPECT_NE(message.find(part), std::string::npos)
        << "message: " << message << "\nlacks: " << part;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, GraphErrors,
    testing::Values(
        BadGraph{"syntax",
                 R"pb(node { name: "a" op: "test_scale" input: "x")pb",
                 {"test.pbtxt", "line"}},
        BadGraph{"unknown_field", R"pb(node { name: "a" opp: "relu" })pb", {"test.pbtxt", "opp"}},
        BadGraph{"unknown_op",
                 R"pb(node { name: "a" op: "convolution9" input: "x" }
                      loss: "a")pb",
                 {"node 'a'", "unknown op 'convolution9'", "test_scale"}},
        BadGraph{"missing_input",
                 R"pb(node { name: "a" op: "test_scale" input: "nothing" }
                      output: "a")pb",
                 {"node 'a'", "input 'nothing'"}},
        BadGraph{"wrong_input_count",
                 R"pb(node { name: "a" op: "test_add" input: "x" }
                      output: "a")pb",
                 {"node 'a'", "takes 2 inputs, got 1"}},
        BadGraph{"duplicate_name",
                 R"pb(node { name: "a" op: "test_scale" input: "x" }
                      node { name: "a" op: "test_scale" input: "x" }
                      output: "a")pb",
                 {"node 'a'", "duplicate"}},
        BadGraph{"name_clashes_with_parameter",
                 R"pb(node { name: "w" op: "test_scale" input: "x" }
                      output: "w")pb",
                 {"node 'w'", "duplicate"}},
        BadGraph{"cycle",
                 R"pb(node { name: "a" op: "test_add" input: "x" input: "c" }
                      node { name: "b" op: "test_scale" input: "a" }
                      node { name: "c" op: "test_scale" input: "b" }
                      output: "c")pb",
                 {"cycle", "a", "b", "c"}},
        BadGraph{"unknown_attr",
                 R"pb(node {
                        name: "a"
                        op: "test_scale"
                        input: "x"
                        attr {
                          key: "factr"
                          value { f: 1 }
                        }
                      }
                      output: "a")pb",
                 {"node 'a'", "unknown attribute 'factr'", "factor"}},
        BadGraph{"wrong_attr_type",
                 R"pb(node {
                        name: "a"
                        op: "test_scale"
                        input: "x"
                        attr {
                          key: "factor"
                          value { s: "big" }
                        }
                      }
                      output: "a")pb",
                 {"node 'a'", "'factor'", "must be a float", "got string"}},
        BadGraph{"shape_mismatch",
                 R"pb(node { name: "a" op: "test_add" input: "x" input: "w" }
                      output: "a")pb",
                 {"node 'a'", "[2,3]", "[3]"}},
        BadGraph{"loss_not_scalar",
                 R"pb(node { name: "a" op: "test_scale" input: "x" }
                      loss: "a")pb",
                 {"loss 'a'", "scalar"}},
        BadGraph{"loss_unknown", R"pb(loss: "nope")pb", {"loss 'nope'"}},
        BadGraph{"bad_initializer",
                 R"pb(parameter {
                        name: "v"
                        shape: [ 2 ]
                        init { type: "gaussian" }
                      }
                      output: "x")pb",
                 {"parameter 'v'", "unknown initializer 'gaussian'"}},
        BadGraph{"bad_parameter_shape",
                 R"pb(parameter {
                        name: "v"
                        shape: [ 2, 0 ]
                      }
                      output: "x")pb",
                 {"parameter 'v'", "dimension 0"}},
        BadGraph{"uniform_bounds",
                 R"pb(parameter {
                        name: "v"
                        shape: [ 2 ]
                        init { type: "uniform" low: 1 high: 0 }
                      }
                      output: "x")pb",
                 {"parameter 'v'", "low < high"}}),
    [](const testing::TestParamInfo<BadGraph>& info) { return std::string(info.param.name); });

TEST(Graph, MissingFileIsNamed) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("/nonexistent/model.pbtxt");
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().message().find("/nonexistent/model.pbtxt"), std::string::npos);
}

}  // namespace
}  // namespace tessera

namespace tessera {
namespace {
TEST(Attrs, EmptyListsAreListsNotMissingValues) {
  EXPECT_EQ(TypeOf(IntsAttr({})), AttrType::kInts);
  EXPECT_EQ(TypeOf(FloatsAttr({})), AttrType::kFloats);
}
}  // namespace
}  // namespace tessera
