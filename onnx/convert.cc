// onnx/convert: an ONNX model -> the equivalent Tessera graph (.pbtxt) plus
// its initializers as .npy files, so that an imported model can be read
// and edited. The .pbtxt's parameters name their .npy files (initializer
// type "npy", relative to the .pbtxt), so trainers and tools read it as
// is; the directory also works as run_graph's --params_dir.
//
//   bazel run //onnx:convert -- --model=alexnet.onnx --out=alexnet.pbtxt
//   (writes alexnet.pbtxt and alexnet_weights/<parameter>.npy)

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "core/graph.h"
#include "core/npy.h"
#include "core/status_macros.h"
#include "google/protobuf/text_format.h"
#include "onnx/importer.h"
#include "tools/cli_util.h"

ABSL_FLAG(std::string, model, "", "The ONNX model to convert (.onnx).");
ABSL_FLAG(std::string, out, "", "The graph to write (.pbtxt); weights go to <stem>_weights/.");

namespace tessera {
namespace {

absl::Status Run() {
  const std::string model = UserPath(absl::GetFlag(FLAGS_model));
  const std::string out = UserPath(absl::GetFlag(FLAGS_out));
  if (model.empty() || out.empty())
    return absl::InvalidArgumentError("--model and --out are required");
  if (std::filesystem::path(out).extension() != ".pbtxt") {
    return absl::InvalidArgumentError(absl::StrCat("--out=", out, " must end in .pbtxt"));
  }
  TS_ASSIGN_OR_RETURN(GraphDef def, onnx_import::ImportModelFile(model));
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::Build(def));  // what every reader will check

  const std::filesystem::path out_path(out);
  const std::string weights = out_path.stem().string() + "_weights";
  const std::filesystem::path weights_dir = out_path.parent_path() / weights;
  int64_t values = 0;
  for (ParameterDef& param : *def.mutable_parameter()) {
    const Shape shape(param.shape().begin(), param.shape().end());
    InitializerDef& init = *param.mutable_init();
    const Tensor t = Tensor::FromVector(shape, {init.values().begin(), init.values().end()});
    const std::string relative = absl::StrCat(weights, "/", param.name(), ".npy");
    const std::filesystem::path file = out_path.parent_path() / relative;
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    TS_RETURN_IF_ERROR(WriteNpy(file.string(), t));
    values += t.num_elements();
    init.Clear();
    init.set_type("npy");
    init.set_file(relative);
  }
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  if (!printer.PrintToString(def, &text)) return absl::InternalError("cannot print the graph");
  std::ofstream file(out);
  file << "# Converted from " << model << " by //onnx:convert.\n" << text;
  file.close();
  if (!file) return absl::InternalError(absl::StrCat("cannot write ", out));
  fprintf(stderr, "wrote %s (%d nodes, %d parameters, %lld values in %s/)\n", out.c_str(),
          def.node_size(), def.parameter_size(), static_cast<long long>(values),
          weights_dir.c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Converts an ONNX model into a Tessera .pbtxt and .npy weights.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run();
  if (!status.ok()) {
    fprintf(stderr, "convert: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
