#include "hold/core/build_info.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#ifdef USE_C10D_NCCL
#include <nccl.h>
#endif

#include <sstream>

#ifndef HOLD_VERSION
#define HOLD_VERSION "unknown"
#endif

namespace hold {
namespace {

/// 92600 → "9.26.0" (cuDNN's MAJOR·10000 + MINOR·100 + PATCH since 9.0).
std::string dotted(long code, long major_unit, long minor_unit) {
  std::ostringstream os;
  os << code / major_unit << "." << (code % major_unit) / minor_unit << "." << code % minor_unit;
  return os.str();
}

/// The line of at::show_config() that names the CPU BLAS (MKL or OpenBLAS ...), trimmed.
std::string blas_line() {
  std::istringstream config(at::show_config());
  std::string line, blas_info;
  while (std::getline(config, line)) {
    const auto start = line.find_first_not_of(" -");
    if (start == std::string::npos) continue;
    line = line.substr(start);
    if (line.find("Math Kernel Library") != std::string::npos || line.find("OpenBLAS") != std::string::npos) {
      return line;
    }
    const auto key = line.find("BLAS_INFO=");
    if (key != std::string::npos) blas_info = line.substr(key + 10, line.find(',', key) - key - 10);
  }
  return blas_info.empty() ? "unknown" : blas_info;
}

}  // namespace

std::string hold_version() { return HOLD_VERSION; }

std::string version_report() {
  std::ostringstream os;
  os << "hold " << hold_version() << "\n";
  os << "LibTorch " << TORCH_VERSION << " (C++" << (__cplusplus >= 202002L ? "20" : "17") << ", CXX11 ABI "
     << (_GLIBCXX_USE_CXX11_ABI ? "on" : "off") << ")\n";
  const auto& cuda = at::detail::getCUDAHooks();
  // HOLD_TORCH_CUDA: CMake linked torch_cuda (whose hooks answer without a GPU).
#ifdef HOLD_TORCH_CUDA
  {
    const long rt = cuda.versionCUDART();
    os << "CUDA: compiled in, runtime " << rt / 1000 << "." << (rt % 1000) / 10;
    os << "; cuDNN: "
       << (cuda.compiledWithCuDNN() ? dotted(cuda.versionCuDNN(), 10000, 100) : std::string("not compiled in"));
  }
#else
  os << "CUDA: not compiled in";
#endif
#ifdef USE_C10D_NCCL
  os << "; NCCL: compiled in, " << NCCL_MAJOR << "." << NCCL_MINOR << "." << NCCL_PATCH << "\n";
#else
  os << "; NCCL: not compiled in\n";
#endif
  os << "BLAS: " << blas_line() << "\n";
  os << "OpenMP: " << at::get_num_threads() << " threads\n";
  const int gpus = at::hasCUDA() ? cuda.getNumGPUs() : 0;
  os << "GPU: " << (gpus > 0 ? std::to_string(gpus) + " visible" : std::string("none visible"));
  return os.str();
}

}  // namespace hold
