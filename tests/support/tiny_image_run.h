#pragma once
// A tiny trained image model for CLI tests: HOLD with a small NCSN++ trained
// 2 steps on 12 MNIST-format 8×8 images, through hold-train itself.
#include <fstream>
#include <string>

#include "support/idx_files.h"
#include "support/run_tool.h"

namespace hold::test {

struct TinyImageRun {
  std::string config;  ///< "--config <dir>/run.yaml"
  std::string ckpt;    ///< <dir>/run/checkpoints/latest.pt
  ToolRun training;    ///< hold-train's exit code and output
};

inline TinyImageRun train_tiny_image_model(const std::string& dir) {
  write_mnist_folder(dir + "/data", 12, 8);
  std::ofstream(dir + "/run.yaml") << "seed: 1\nthreads: 1\nsde: {name: hold}\n"
                                   << "data: {name: mnist, path: " << dir << "/data}\n"
                                   << "model: {name: ncsnpp, channels: 8, ch_mult: [1, 2], num_res_blocks: 1,"
                                   << " attn_resolutions: [4], mixed_score: true}\n"
                                   << "train: {steps: 2, batch_size: 4, log_every: 1, ckpt_every: 2}\n"
                                   << "sample: {method: lt, nfe: 6, grid: uniform}\n";
  TinyImageRun run;
  run.config = "--config " + dir + "/run.yaml";
  run.ckpt = dir + "/run/checkpoints/latest.pt";
  run.training = run_tool("hold-train " + run.config + " --workdir " + dir + "/run");
  return run;
}

}  // namespace hold::test
