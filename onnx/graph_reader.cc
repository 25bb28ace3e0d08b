// Makes every Tessera program that links this library read .onnx files
// wherever it reads a graph (core's ReadGraphTextFile): trainers, run_graph,
// summary, time, visualize.

#include "core/graph.h"
#include "onnx/importer.h"

namespace tessera::onnx_import {
namespace {

const bool registered = RegisterGraphFileReader(".onnx", ImportModelFile);

}  // namespace
}  // namespace tessera::onnx_import
