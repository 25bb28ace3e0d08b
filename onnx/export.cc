// onnx/export (also //tools:onnx_export): a Tessera graph and its trained
// parameters -> model.onnx, checked by onnx::checker.
//
//   bazel run //onnx:export -- --graph=models/mlp.pbtxt \
//       --checkpoint=checkpoints/mlp --out=mlp.onnx
//
// --checkpoint is a checkpoint file or a directory (its newest); without
// it the parameters are drawn from the graph's initializers with --seed.
// --image_size rewrites the "image" input's height and width as the
// trainers do (alexnet_fashion trains at 67x67).

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "core/checkpoint.h"
#include "core/graph.h"
#include "core/status_macros.h"
#include "onnx/exporter.h"
#include "tools/cli_util.h"

ABSL_FLAG(std::string, graph, "", "The graph (.pbtxt).");
ABSL_FLAG(std::string, checkpoint, "", "A checkpoint file, or a directory of them (the newest).");
ABSL_FLAG(std::string, out, "", "The ONNX model to write.");
ABSL_FLAG(uint64_t, seed, 1, "Seed for parameters drawn from initializers (no --checkpoint).");
ABSL_FLAG(int, image_size, 0, "Height and width of the 'image' input (0: as the graph says).");

namespace tessera {
namespace {

absl::Status Run() {
  const std::string out = UserPath(absl::GetFlag(FLAGS_out));
  if (absl::GetFlag(FLAGS_graph).empty() || out.empty()) {
    return absl::InvalidArgumentError("--graph and --out are required");
  }
  TS_ASSIGN_OR_RETURN(GraphDef def, ReadGraphTextFile(UserPath(absl::GetFlag(FLAGS_graph))));
  if (const int size = absl::GetFlag(FLAGS_image_size); size > 0) {
    for (InputDef& input : *def.mutable_input()) {
      if (input.name() == "image" && input.shape_size() == 4) {
        input.set_shape(2, size);
        input.set_shape(3, size);
      }
    }
  }
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::Build(def));
  ParameterStore params =
      ParameterStore::Initialize(graph, absl::GetFlag(FLAGS_seed), Device::kCpu);
  std::string checkpoint = UserPath(absl::GetFlag(FLAGS_checkpoint));
  if (!checkpoint.empty()) {
    if (std::filesystem::is_directory(checkpoint)) {
      const std::vector<std::string> all = ListCheckpoints(checkpoint);
      if (all.empty()) return absl::NotFoundError(absl::StrCat("no checkpoints in ", checkpoint));
      checkpoint = all.back();
    }
    TS_ASSIGN_OR_RETURN(CheckpointProto proto, ReadCheckpointFile(checkpoint));
    TS_RETURN_IF_ERROR(RestoreCheckpoint(proto, params, nullptr));
  }
  TS_ASSIGN_OR_RETURN(onnx::ModelProto model, onnx_export::ExportModel(graph, params));
  TS_RETURN_IF_ERROR(onnx_export::CheckModel(model));
  std::ofstream file(out, std::ios::binary);
  if (!model.SerializeToOstream(&file) || !file.flush()) {
    return absl::InternalError(absl::StrCat("cannot write ", out));
  }
  fprintf(stderr, "wrote %s (%d nodes, %d initializers; passes onnx::checker)%s\n", out.c_str(),
          model.graph().node_size(), model.graph().initializer_size(),
          checkpoint.empty() ? ", parameters from the initializers" : "");
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Exports a Tessera graph and its parameters to ONNX.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run();
  if (!status.ok()) {
    fprintf(stderr, "export: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
