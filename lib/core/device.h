#pragma once
// The config's `device` key → a torch device. "auto" is what a cluster script
// wants: the GPU of this process (cuda:LOCAL_RANK) where CUDA is available,
// the CPU elsewhere, so one config serves a laptop and a GPU node.
#include <c10/core/Device.h>

#include <string>

namespace hold {

/// cpu | cuda | cuda:<i> | auto. Throws UsageError for a device this build
/// or machine does not have.
c10::Device resolve_device(const std::string& name);

/// The process's local rank (LOCAL_RANK or SLURM_LOCALID), 0 when unset.
int local_rank();

}  // namespace hold
