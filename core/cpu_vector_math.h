// Highway kernels behind the CPU backend's vector primitives (fill, axpy and
// the optimizer updates): one pass over each array, the widest SIMD target
// the CPU has, chosen at run time. Each element gets the same vector
// arithmetic wherever a thread's chunk begins or ends (the tail runs through
// a padded vector), so results do not depend on the thread count.
#ifndef TESSERA_CORE_CPU_VECTOR_MATH_H_
#define TESSERA_CORE_CPU_VECTOR_MATH_H_

#include <cstdint>

namespace tessera {
namespace cpu_math {

// x[i] = value.
void Fill(float value, float* x, int64_t n);

// y[i] += alpha * x[i].
void Axpy(float alpha, const float* x, float* y, int64_t n);

// PyTorch's SGD with momentum and L2 weight decay:
//   v = momentum * v + (g + weight_decay * w);  w -= lr * v.
void SgdMomentum(float lr, float momentum, float weight_decay, const float* g, float* w, float* v,
                 int64_t n);

// Adam with L2 weight decay; lr_t already holds the bias corrections:
//   g' = g + weight_decay * w;  m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;
//   w -= lr_t * m / (sqrt(v) + eps).
void Adam(float lr_t, float beta1, float beta2, float eps, float weight_decay, const float* g,
          float* w, float* m, float* v, int64_t n);

}  // namespace cpu_math
}  // namespace tessera

#endif  // TESSERA_CORE_CPU_VECTOR_MATH_H_
