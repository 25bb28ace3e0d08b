// classify: the top classes a trained classifier gives each photograph.
//
//   bazel run //tools:classify -- --graph=models/alexnet.pbtxt
//       --checkpoint=checkpoints/alexnet --labels=DATA_DIR photo.jpg more.png
//
// (one line). Each photo is prepared with the eval transform (shorter side
// to 256/224 of the input, centre crop, --mean/--std) and gets --top lines
// "  0.8731  class". --labels is a text file of class names, one a line in
// label order, or the --data_dir of an image-folder dataset (its sorted
// class folders); without it classes are printed by number.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/status_macros.h"
#include "datasets/image_codec.h"
#include "datasets/image_source.h"
#include "datasets/transforms.h"
#include "tools/cli_util.h"
#include "tools/eval_transform_flags.h"
#include "tools/feature_viz.h"

ABSL_FLAG(std::string, graph, "", "Graph (.pbtxt) the checkpoint was trained with.");
ABSL_FLAG(std::string, checkpoint, "",
          "Checkpoint file (.tsr) or a directory of them (the newest is used).");
ABSL_FLAG(std::string, labels, "",
          "Class names: a text file (one per line) or an image-folder --data_dir.");
ABSL_FLAG(int, top, 5, "How many classes to print per image.");

namespace tessera {
namespace {

absl::StatusOr<std::vector<std::string>> ReadLabels(const std::string& path) {
  std::vector<std::string> names;
  if (path.empty()) return names;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    const std::string train = path + "/train";
    TS_ASSIGN_OR_RETURN(
        auto folder,
        datasets::ImageFolder::Open(std::filesystem::is_directory(train, error) ? train : path));
    return folder->class_names();
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--labels: cannot open ", path));
  for (std::string line; std::getline(in, line);) {
    names.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  return names;
}

absl::Status Run(const std::vector<std::string>& photos) {
  if (photos.empty()) return absl::InvalidArgumentError("give one or more photos to classify");
  TS_ASSIGN_OR_RETURN(LoadedModel model, LoadModel(UserPath(absl::GetFlag(FLAGS_graph)),
                                                   UserPath(absl::GetFlag(FLAGS_checkpoint))));
  TS_ASSIGN_OR_RETURN(std::vector<std::string> labels,
                      ReadLabels(UserPath(absl::GetFlag(FLAGS_labels))));
  const Graph& graph = *model.graph;
  if (graph.def().output_size() == 0) {
    return absl::InvalidArgumentError("the graph must list its logits as its first `output`");
  }
  TS_ASSIGN_OR_RETURN(Shape input, graph.InputShape("image", 1));
  TS_ASSIGN_OR_RETURN(const datasets::TransformConfig transform, EvalTransformFromFlags(input));

  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, Executor::Create(graph, model.params));
  int failed = 0;
  for (const std::string& photo_path : photos) {
    absl::StatusOr<datasets::DecodedImage> photo =
        datasets::ReadImageFile(UserPath(photo_path), transform.channels);
    if (!photo.ok()) {
      fprintf(stderr, "%s\n", std::string(photo.status().message()).c_str());
      ++failed;
      continue;
    }
    Tensor image = Tensor::Empty(input);
    datasets::ResampleNormalize(*photo,
                                datasets::EvalCropBox(transform, photo->width, photo->height),
                                transform, image.data());
    TS_RETURN_IF_ERROR(
        executor->Forward({{"image", image}, {"label", Tensor::Zeros({1})}}, /*training=*/false));
    TS_ASSIGN_OR_RETURN(Tensor logits, executor->Value(graph.def().output(0)));
    std::vector<float> p = logits.ToVector();
    if (!labels.empty() && labels.size() != p.size() && &photo_path == &photos.front()) {
      fprintf(stderr, "note: %zu labels for %zu classes; the rest are printed by number\n",
              labels.size(), p.size());
    }
    const float largest = *std::max_element(p.begin(), p.end());
    double total = 0;
    for (float& v : p) total += (v = std::exp(v - largest));
    std::vector<size_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    const size_t top = std::min<size_t>(std::max(1, absl::GetFlag(FLAGS_top)), p.size());
    std::partial_sort(order.begin(), order.begin() + top, order.end(),
                      [&](size_t a, size_t b) { return p[a] > p[b]; });
    printf("%s\n", photo_path.c_str());
    for (size_t k = 0; k < top; ++k) {
      const size_t c = order[k];
      printf("  %.4f  %s\n", p[c] / total,
             c < labels.size() ? labels[c].c_str() : absl::StrCat("class ", c).c_str());
    }
  }
  if (failed > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(failed, " of ", photos.size(), " photos could not be read"));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "classify --graph=G --checkpoint=C [--labels=L] photo.jpg ...: top classes per photo.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run(std::vector<std::string>(args.begin() + 1, args.end()));
  if (!status.ok()) {
    fprintf(stderr, "classify: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
