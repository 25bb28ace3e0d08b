// run_graph: runs a Tessera graph on NumPy .npy inputs and writes the values
// and gradients asked for as .npy files, so that results can be compared
// with NumPy or PyTorch.
//
//   bazel run //tools:run_graph -- --graph=models/mlp.pbtxt \
//       --inputs=image=x.npy,label=y.npy --params_dir=weights/ \
//       --outputs=logits,loss --backward_from_loss --grads=image,fc1/weight \
//       --output_dir=out/
//
// Parameters come from --params (name=file pairs) or --params_dir (the file
// <dir>/<name>.npy, where a '/' in the name is a subdirectory); any not given
// are drawn from their initializers with --seed, and listed on stderr.
// Backward runs from the loss (--backward_from_loss) or from given output
// gradients (--output_grads=name=file,...). Values are written to
// <output_dir>/<name>.npy and gradients to <output_dir>/grad/<name>.npy.

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/npy.h"

ABSL_FLAG(std::string, graph, "", "Graph (.pbtxt) to run.");
ABSL_FLAG(std::string, inputs, "", "Graph inputs as name=file.npy pairs, comma-separated.");
ABSL_FLAG(std::string, params, "", "Parameters as name=file.npy pairs, comma-separated.");
ABSL_FLAG(std::string, params_dir, "", "Directory holding <param name>.npy files.");
ABSL_FLAG(std::string, outputs, "", "Values to write (default: the graph's outputs and loss).");
ABSL_FLAG(bool, backward_from_loss, false, "Run backward from the loss.");
ABSL_FLAG(std::string, output_grads, "", "Run backward from these name=file.npy output gradients.");
ABSL_FLAG(std::string, grads, "",
          "Gradients to write: parameter or input names (default: all parameters).");
ABSL_FLAG(std::string, output_dir, ".", "Where the .npy files go.");
ABSL_FLAG(bool, training, false, "Run in training mode (dropout on, batch statistics).");
ABSL_FLAG(uint64_t, seed, 1, "Seed for parameters not given and for random ops.");

namespace tessera {
namespace {

std::string UserPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");  // set by bazel run
  return dir ? absl::StrCat(dir, "/", path) : path;
}

absl::StatusOr<std::map<std::string, std::string>> ParsePairs(const std::string& text,
                                                              const char* flag) {
  std::map<std::string, std::string> pairs;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": '", std::string(item), "' is not name=file.npy"));
    }
    pairs[kv[0]] = UserPath(kv[1]);
  }
  return pairs;
}

absl::Status Write(const std::string& dir, const std::string& name, const Tensor& t) {
  const std::filesystem::path path = std::filesystem::path(dir) / (name + ".npy");
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  TS_RETURN_IF_ERROR(WriteNpy(path.string(), t));
  fprintf(stderr, "wrote %s %s\n", path.c_str(), ShapeToString(t.shape()).c_str());
  return absl::OkStatus();
}

absl::Status Run() {
  if (absl::GetFlag(FLAGS_graph).empty()) return absl::InvalidArgumentError("--graph is required");
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::FromTextFile(UserPath(absl::GetFlag(FLAGS_graph))));
  ParameterStore params =
      ParameterStore::Initialize(graph, absl::GetFlag(FLAGS_seed), Device::kCpu);

  // Parameters from files.
  TS_ASSIGN_OR_RETURN(auto param_files, ParsePairs(absl::GetFlag(FLAGS_params), "params"));
  const std::string params_dir = UserPath(absl::GetFlag(FLAGS_params_dir));
  std::vector<std::string> initialized;
  for (auto& [name, p] : params.all()) {
    std::string file;
    if (auto it = param_files.find(name); it != param_files.end()) {
      file = it->second;
      param_files.erase(it);
    } else if (!params_dir.empty() && std::filesystem::exists(params_dir + "/" + name + ".npy")) {
      file = params_dir + "/" + name + ".npy";
    }
    if (file.empty()) {
      initialized.push_back(name);
      continue;
    }
    TS_ASSIGN_OR_RETURN(Tensor value, ReadNpy(file));
    if (value.shape() != p.value.shape()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter '", name, "' from ", file, " has shape ", ShapeToString(value.shape()),
          ", the graph declares ", ShapeToString(p.value.shape())));
    }
    value.CopyInto(p.value);
  }
  if (!param_files.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--params names '", param_files.begin()->first,
                                                   "', which is not a parameter of the graph"));
  }
  if (!initialized.empty()) {
    fprintf(stderr, "initialised from the graph's initializers (seed %llu): %s\n",
            static_cast<unsigned long long>(absl::GetFlag(FLAGS_seed)),
            absl::StrJoin(initialized, ", ").c_str());
  }

  // Inputs.
  TS_ASSIGN_OR_RETURN(auto input_files, ParsePairs(absl::GetFlag(FLAGS_inputs), "inputs"));
  std::map<std::string, Tensor> feeds;
  for (const auto& [name, file] : input_files) {
    if (!graph.IsInput(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--inputs names '", name, "', which is not a graph input"));
    }
    TS_ASSIGN_OR_RETURN(feeds[name], ReadNpy(file));
  }
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor_ptr, Executor::Create(graph, params));
  Executor& executor = *executor_ptr;
  TS_RETURN_IF_ERROR(
      executor.Forward(feeds, absl::GetFlag(FLAGS_training), absl::GetFlag(FLAGS_seed)));

  const std::string out_dir = UserPath(absl::GetFlag(FLAGS_output_dir));
  std::vector<std::string> outputs =
      absl::StrSplit(absl::GetFlag(FLAGS_outputs), ',', absl::SkipEmpty());
  if (outputs.empty()) {
    outputs.assign(graph.def().output().begin(), graph.def().output().end());
    if (!graph.loss().empty()) outputs.push_back(graph.loss());
  }
  for (const std::string& name : outputs) {
    TS_ASSIGN_OR_RETURN(Tensor value, executor.Value(name));
    TS_RETURN_IF_ERROR(Write(out_dir, name, value));
  }

  // Backward.
  TS_ASSIGN_OR_RETURN(auto grad_files,
                      ParsePairs(absl::GetFlag(FLAGS_output_grads), "output_grads"));
  const bool from_loss = absl::GetFlag(FLAGS_backward_from_loss);
  if (!from_loss && grad_files.empty()) return absl::OkStatus();
  if (from_loss && !grad_files.empty()) {
    return absl::InvalidArgumentError("give --backward_from_loss or --output_grads, not both");
  }
  std::map<std::string, Tensor> seeds;
  if (from_loss) {
    if (graph.loss().empty()) return absl::InvalidArgumentError("the graph has no loss");
    seeds[graph.loss()] = Tensor::Filled(executor.Value(graph.loss())->shape(), 1.0f);
  }
  for (const auto& [name, file] : grad_files) {
    TS_ASSIGN_OR_RETURN(seeds[name], ReadNpy(file));
  }
  std::vector<std::string> wanted =
      absl::StrSplit(absl::GetFlag(FLAGS_grads), ',', absl::SkipEmpty());
  if (wanted.empty()) {
    for (const auto& [name, p] : params.all()) {
      if (p.trainable) wanted.push_back(name);
    }
  }
  std::vector<std::string> input_names;
  for (const std::string& name : wanted) {
    if (graph.IsInput(name)) {
      input_names.push_back(name);
    } else if (params.Find(name) == nullptr || !params.Find(name)->trainable) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--grads names '", name, "', which is neither a graph input nor a trainable parameter"));
    }
  }
  TS_ASSIGN_OR_RETURN(auto input_grads, executor.BackwardFrom(seeds, input_names));
  for (const std::string& name : wanted) {
    const Tensor& grad = graph.IsInput(name) ? input_grads.at(name) : params.Find(name)->grad;
    TS_RETURN_IF_ERROR(Write(out_dir + "/grad", name, grad));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs a Tessera graph on .npy inputs and writes outputs and gradients as .npy.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run();
  if (!status.ok()) {
    fprintf(stderr, "run_graph: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
