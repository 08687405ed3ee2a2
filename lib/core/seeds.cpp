#include "hold/core/seeds.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

namespace hold {

at::Generator make_generator(uint64_t seed, c10::Device device) {
  if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
  // A clone of the device's default generator is a new, independent one of
  // the right kind (CUDAGeneratorImpl), without including CUDA headers here.
  at::Generator gen = at::globalContext().defaultGenerator(device).clone();
  gen.set_current_seed(seed);
  return gen;
}

}  // namespace hold
