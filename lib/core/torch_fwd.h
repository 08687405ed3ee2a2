#pragma once
// Forward declarations of the LibTorch classes our headers only name by
// reference, so that those headers need not include <torch/nn/module.h>
// (about 6 s per translation unit here; style.md §5.7).
namespace torch {
namespace nn {
class Module;
}  // namespace nn
}  // namespace torch
