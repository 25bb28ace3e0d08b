#ifndef TESSERA_CORE_BACKEND_H_
#define TESSERA_CORE_BACKEND_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "core/tensor.h"

namespace tessera {

// One per device type: owns allocation, copies, synchronisation and the few
// vector primitives that the executor and optimizers need on every device.
// Op math lives in kernels, not here.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;

  virtual void* Allocate(size_t bytes) = 0;
  virtual void Deallocate(void* ptr, size_t bytes) = 0;
  // Copies between this device and the host, or within this device.
  virtual void CopyToHost(const void* src, void* host_dst, size_t bytes) = 0;
  virtual void CopyFromHost(const void* host_src, void* dst, size_t bytes) = 0;
  virtual void CopyWithin(const void* src, void* dst, size_t bytes) = 0;
  // Waits for queued work on this device.
  virtual void Synchronize() = 0;

  // x <- value.
  virtual void Fill(Tensor& x, float value) = 0;
  // y <- y + alpha * x (same sizes).
  virtual void Axpy(float alpha, const Tensor& x, Tensor& y) = 0;
  // Sum of squares of x, and whether every element is finite.
  virtual double SumOfSquares(const Tensor& x) = 0;
  virtual bool AllFinite(const Tensor& x) = 0;

  // One SGD step: v <- momentum*v + (g + wd*w); w <- w - lr*v.
  virtual void SgdMomentumUpdate(Tensor& weights, const Tensor& grad, Tensor& velocity, float lr,
                                 float momentum, float weight_decay) = 0;
  // One Adam step (bias-corrected by the caller through lr_t):
  // g' = g + wd*w; m <- b1*m + (1-b1)g'; v <- b2*v + (1-b2)g'^2;
  // w <- w - lr_t * m / (sqrt(v) + eps).
  virtual void AdamUpdate(Tensor& weights, const Tensor& grad, Tensor& m, Tensor& v, float lr_t,
                          float beta1, float beta2, float eps, float weight_decay) = 0;
};

// The backend for a device, or nullptr when that device is not present (no
// CUDA build, or no GPU). Backends register themselves at start-up.
Backend* GetBackend(Device device);
// The devices present in this process, CPU first.
std::vector<Device> AvailableDevices();
// Called by a backend implementation from a static initializer.
void RegisterBackend(Device device, Backend* (*factory)());

}  // namespace tessera

#endif  // TESSERA_CORE_BACKEND_H_
