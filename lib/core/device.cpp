#include "hold/core/device.h"

#include <ATen/Context.h>

#include <cstdlib>

#include "hold/core/error.h"

namespace hold {

int local_rank() {
  for (const char* name : {"LOCAL_RANK", "SLURM_LOCALID"}) {
    if (const char* v = std::getenv(name)) return std::atoi(v);
  }
  return 0;
}

c10::Device resolve_device(const std::string& name) {
  if (name == "auto") {
    if (!at::hasCUDA()) return c10::Device(c10::kCPU);
    const int count = static_cast<int>(at::getNumGPUs());
    return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(count > 0 ? local_rank() % count : 0));
  }
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(name);
  } catch (const c10::Error&) {
    throw UsageError("device must be cpu, cuda, cuda:<index> or auto, got '" + name + "' (device)");
  }
  if (device.is_cuda() && !at::hasCUDA()) {
    throw UsageError("device '" + name + "' is not available: this LibTorch or machine has no CUDA (device)");
  }
  return device;
}

}  // namespace hold
