#pragma once
// The architecture choices of NCSN++ (the reference's option names), as enums
// the network resolves once; their config names are registered in
// model_config.h.
namespace hold {

/// resblock_type: biggan (resampling inside residual blocks) | ddpm.
enum class ResBlockKind { kBigGan, kDdpm };
/// progressive: the output pyramid.
enum class OutputPyramid { kNone, kOutputSkip, kResidual };
/// progressive_input: the input pyramid.
enum class InputPyramid { kNone, kInputSkip, kResidual };
/// progressive_combine: how input_skip joins the pyramid to the features.
enum class PyramidCombine { kSum, kCat };

}  // namespace hold
