// visualize: pictures of a trained network, written as PNG files.
//
// First-layer weights as images (stroke detectors for the MLP):
//   bazel run //tools:visualize -- --mode=filters --graph=models/mlp.pbtxt
//       --checkpoint=checkpoints/mlp --param=fc1/weight --out=filters.png
// One test image's activations at a node:
//   bazel run //tools:visualize -- --mode=activations --graph=models/mlp.pbtxt
//       --checkpoint=checkpoints/mlp --dataset=mnist --index=0 --node=relu1 --out=act.png
// The test images that excite one channel (unit) most:
//   bazel run //tools:visualize -- --mode=top_images --graph=models/mlp.pbtxt
//       --checkpoint=checkpoints/mlp --dataset=mnist --node=relu1 --channel=7 --count=16
//       --out=top.png
//
// --dataset=folder --data_dir=DIR (its val/ images) or --dataset=cifar10
// --data_dir=DIR (the test batch) go through the eval transform (--mean,
// --std, --resize_ratio as for //tools:classify) to the graph's input.
// (each command is one line). --checkpoint is a .tsr file or a directory
// (its newest ckpt-*.tsr is used). See tools/feature_viz.h for what each
// picture shows.

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "datasets/idx.h"
#include "datasets/image_source.h"
#include "datasets/mnist_digits.h"
#include "datasets/pipeline.h"
#include "tools/cli_util.h"
#include "tools/eval_transform_flags.h"
#include "tools/feature_viz.h"
#include "tools/image/png.h"

ABSL_FLAG(std::string, mode, "", "filters | activations | top_images");
ABSL_FLAG(std::string, graph, "", "Graph (.pbtxt) the checkpoint was trained with.");
ABSL_FLAG(std::string, checkpoint, "",
          "Checkpoint file (.tsr) or a directory of them (the newest is used).");
ABSL_FLAG(std::string, param, "", "filters: the weight parameter to draw, e.g. fc1/weight.");
ABSL_FLAG(std::string, dataset, "mnist",
          "activations, top_images: mnist | fashion | folder | cifar10 | cifar100 (the test "
          "split).");
ABSL_FLAG(std::string, data_dir, "", "folder, cifar10, cifar100: where the images are.");
ABSL_FLAG(int64_t, max_images, 1000,
          "folder, cifar10, cifar100: the first N test images (0: all), decoded into memory.");
ABSL_FLAG(int64_t, index, 0, "activations: which test image.");
ABSL_FLAG(std::string, node, "", "activations, top_images: the node whose output to show.");
ABSL_FLAG(int64_t, channel, 0,
          "top_images: the channel (or unit, for 2-D outputs) to rank images by.");
ABSL_FLAG(int, count, 16, "top_images: how many images to show.");
ABSL_FLAG(int, columns, 0, "Tiles per row (0: automatic).");
ABSL_FLAG(int, scale, 0, "Enlargement of each tile (0: automatic).");
ABSL_FLAG(std::string, out, "", "The PNG file to write.");

namespace tessera {
namespace {

// The test images: MNIST's or Fashion-MNIST's, or a folder's val/ split or
// CIFAR's test batch through the eval transform to the graph's input.
absl::StatusOr<datasets::ImageDataset> LoadTestSet(const std::string& name, const Graph& graph) {
  if (name == "mnist")
    return datasets::LoadMnistDigits(datasets::DefaultMnistDigitsDir(), datasets::Split::kTest);
  if (name == "fashion")
    return datasets::LoadFashionMnist(datasets::DefaultFashionMnistDir(), datasets::Split::kTest);
  if (name != "folder" && name != "cifar10" && name != "cifar100") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--dataset must be mnist, fashion, folder, cifar10 or cifar100, got '", name, "'"));
  }
  const std::string dir = UserPath(absl::GetFlag(FLAGS_data_dir));
  if (dir.empty())
    return absl::InvalidArgumentError(absl::StrCat("--dataset=", name, " needs --data_dir"));
  std::unique_ptr<datasets::ImageSource> source;
  if (name == "folder") {
    TS_ASSIGN_OR_RETURN(source, datasets::OpenImageFolderSplit(dir, datasets::Split::kTest));
  } else {
    TS_ASSIGN_OR_RETURN(source, datasets::CifarSource::Load(dir, name == "cifar10" ? 10 : 100,
                                                            datasets::Split::kTest));
  }
  TS_ASSIGN_OR_RETURN(Shape input, graph.InputShape("image", 1));
  datasets::PipelineConfig config;
  config.train = false;
  config.batch_size = 64;
  TS_ASSIGN_OR_RETURN(config.transform, EvalTransformFromFlags(input));
  TS_ASSIGN_OR_RETURN(std::unique_ptr<datasets::ImagePipeline> pipeline,
                      datasets::ImagePipeline::Create(*source, config));
  return datasets::ReadEpoch(*pipeline, absl::GetFlag(FLAGS_max_images));
}

absl::Status Run() {
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "filters" && mode != "activations" && mode != "top_images") {
    return absl::InvalidArgumentError(
        absl::StrCat("--mode must be filters, activations or top_images, got '", mode, "'"));
  }
  const std::string out = UserPath(absl::GetFlag(FLAGS_out));
  if (out.empty()) return absl::InvalidArgumentError("--out (the PNG file to write) is required");
  TS_ASSIGN_OR_RETURN(LoadedModel model, LoadModel(UserPath(absl::GetFlag(FLAGS_graph)),
                                                   UserPath(absl::GetFlag(FLAGS_checkpoint))));
  fprintf(stderr, "restored %s\n", model.checkpoint_path.c_str());
  const TileOptions tiles{absl::GetFlag(FLAGS_columns), absl::GetFlag(FLAGS_scale)};
  Image image;
  if (mode == "filters") {
    if (absl::GetFlag(FLAGS_param).empty())
      return absl::InvalidArgumentError("--param is required for --mode=filters");
    TS_ASSIGN_OR_RETURN(
        image, RenderFilters(*model.graph, model.params, absl::GetFlag(FLAGS_param), tiles));
  } else {
    if (absl::GetFlag(FLAGS_node).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--node is required for --mode=", mode));
    }
    TS_ASSIGN_OR_RETURN(datasets::ImageDataset test,
                        LoadTestSet(absl::GetFlag(FLAGS_dataset), *model.graph));
    if (mode == "activations") {
      TS_ASSIGN_OR_RETURN(
          image, RenderActivations(*model.graph, model.params, test, absl::GetFlag(FLAGS_index),
                                   absl::GetFlag(FLAGS_node), tiles));
    } else {
      TS_ASSIGN_OR_RETURN(
          TopImages top,
          RenderTopImages(*model.graph, model.params, test, absl::GetFlag(FLAGS_node),
                          absl::GetFlag(FLAGS_channel), absl::GetFlag(FLAGS_count), tiles));
      printf("rank  test image  label  activation\n");
      for (size_t k = 0; k < top.indices.size(); ++k) {
        printf("%4zu  %10lld  %5d  %10.4f\n", k + 1, static_cast<long long>(top.indices[k]),
               test.labels[top.indices[k]], top.scores[k]);
      }
      image = std::move(top.image);
    }
  }
  TS_RETURN_IF_ERROR(WritePng(out, image));
  fprintf(stderr, "wrote %s (%dx%d)\n", out.c_str(), image.width, image.height);
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Draws a trained network's filters, activations or most-exciting images as a PNG.\n"
      "  visualize --mode=filters --graph=G --checkpoint=C --param=fc1/weight --out=f.png\n"
      "  visualize --mode=activations --graph=G --checkpoint=C --dataset=mnist --index=N "
      "--node=relu1 --out=a.png\n"
      "  visualize --mode=top_images --graph=G --checkpoint=C --dataset=mnist --node=relu1 "
      "--channel=K "
      "--count=16 --out=t.png");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run();
  if (!status.ok()) {
    fprintf(stderr, "visualize: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
