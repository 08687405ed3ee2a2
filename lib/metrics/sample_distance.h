#pragma once
// Distances between two point sets (samples vs. data) for low-dimensional toy
// problems: how close a sampler's output law is to the data law.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace hold {

/// Energy distance between the empirical laws of x [n, d] and y [m, d]
/// (1-D sets may also be given as [n]):
///
///     E(X, Y) = E‖X − Y‖ − ½ E‖X − X'‖ − ½ E‖Y − Y'‖
///
/// as V-statistics: every mean runs over all pairs, the i = j pairs (distance 0)
/// included. So E ≥ 0 always, E = 0 exactly when the two sets are equal as
/// multisets (up to rounding), and it is symmetric. This is half of Székely's
/// 2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖. Computed in float64 on x's device with exact
/// pairwise distances (at::cdist without the matmul shortcut, whose cancellation
/// would spoil the zero), in chunks of `chunk` rows so memory stays O(chunk²).
/// Cost: O((n + m)² d).
double energy_distance(const at::Tensor& x, const at::Tensor& y, int64_t chunk = 2048);

/// Exact p-Wasserstein distance between two 1-D empirical laws a [n] and b [m]
/// (uniform weights, unequal sizes allowed): (∫₀¹ |F_a⁻¹(q) − F_b⁻¹(q)|ᵖ dq)^{1/p}.
double wasserstein_1d(const at::Tensor& a, const at::Tensor& b, double p = 2.0);

/// Sliced p-Wasserstein distance: (mean over `projections` random unit directions
/// θ ~ U(S^{d−1}) of W_p(θᵀX, θᵀY)ᵖ)^{1/p}. Directions are drawn from gen. For
/// d = 1 it equals wasserstein_1d (every direction is ±1).
double sliced_wasserstein(const at::Tensor& x, const at::Tensor& y, at::Generator gen, int64_t projections = 64,
                          double p = 2.0);

}  // namespace hold
