#pragma once
// What this build is and what it runs on (`--version` on every executable):
// hold's version, the LibTorch it was built against, CUDA / cuDNN / NCCL
// compiled in and their versions, the CPU BLAS, OpenMP threads, visible GPUs.
#include <string>

namespace hold {

/// hold's version (CMake project version, plus the git commit when built from a checkout).
std::string hold_version();

/// The multi-line report that --version prints.
std::string version_report();

}  // namespace hold
