// Facts every op must declare with its schema, checked over the registry so
// that a new op cannot forget one: its forward FLOPs (OpSchema::Flops), read
// by //tools:summary and the benchmarks' roofline.

#include "core/op_registry.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

TEST(OpFacts, EveryOpDeclaresItsFlops) {
  const std::vector<std::string> names = OpRegistry::Global().Names();
  ASSERT_FALSE(names.empty());
  for (const std::string& name : names) {
    EXPECT_TRUE(OpRegistry::Global().Find(name)->has_flops())
        << "op '" << name << "' declares no FLOPs: add .Flops(...) to its schema (ops/README.md)";
  }
}

}  // namespace
}  // namespace tessera
