#include "hold/io/inpaint_inputs.h"

#include <ATen/ATen.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <vector>

#include "hold/core/error.h"
#include "hold/core/seeds.h"
#include "hold/data/image_readers.h"
#include "hold/io/npz.h"

namespace hold {
namespace {

/// The random masks' stream of derived generators ("mask").
constexpr uint64_t kMaskStream = 0x6d61736bULL;

[[noreturn]] void reject(const std::string& what, const std::string& flag) {
  throw UsageError(what + " (" + flag + ")");
}

std::string shape_text(at::IntArrayRef shape) {
  std::ostringstream os;
  os << shape;
  return os.str();
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void require_file(const std::string& path, const std::string& flag) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) reject("file not found: " + path, flag);
}

/// One array of an npz file; errors (unreadable file, no such array) name the flag.
at::Tensor read_array(const std::string& path, const std::string& name, const std::string& flag) {
  require_file(path, flag);
  try {
    NpzReader npz(path);
    if (!npz.contains(name)) reject(path + " has no array '" + name + "'", flag);
    return npz.read(name);
  } catch (const UsageError& e) {
    const std::string what = e.what();
    if (ends_with(what, "(" + flag + ")")) throw;
    reject(what, flag);
  }
}

/// The known data x of --inpaint or --colorize as [1 or n, data_shape...] float32.
at::Tensor read_known_x(const std::string& path, const std::string& flag, at::IntArrayRef data_shape, int64_t n) {
  at::Tensor x = read_array(path, "x", flag);
  const bool pixels = x.scalar_type() == at::kByte;
  if (!pixels && !at::isFloatingType(x.scalar_type())) {
    reject(path + ": x must be floating point (data scale) or uint8 pixels, got " +
               std::string(c10::toString(x.scalar_type())),
           flag);
  }
  if (x.dim() == static_cast<int64_t>(data_shape.size())) x = x.unsqueeze(0);  // one sample without its row
  if (x.dim() != static_cast<int64_t>(data_shape.size()) + 1 || x.sizes().slice(1) != data_shape ||
      (x.size(0) != 1 && x.size(0) != n)) {
    reject(path + ": x has shape " + shape_text(x.sizes()) + ", expected [1 or " + std::to_string(n) + ", " +
               shape_text(data_shape).substr(1),
           flag);
  }
  x = pixels ? x.to(at::kFloat).mul(2.0 / 255.0).sub(1.0) : x.to(at::kFloat);  // the loader's centred scale
  return x.contiguous();
}

/// A mask tensor (any numeric or bool dtype, values 0/1) as [1 or n, C or 1, ...]
/// broadcastable to the data.
at::Tensor shape_mask(at::Tensor m, const std::string& where, at::IntArrayRef data_shape, int64_t n) {
  const std::string flag = "--mask";
  const bool images = data_shape.size() == 3;
  const std::string expected =
      images ? "[H, W], [C, H, W] or [n, C, H, W] with C, H, W = " +
                   shape_text(data_shape).substr(1, shape_text(data_shape).size() - 2) + " and n = 1 or " +
                   std::to_string(n)
             : "[d] or [n, d] with d = " + std::to_string(data_shape[0]) + " and n = 1 or " + std::to_string(n);
  if (images) {
    if (m.dim() == 2) m = m.unsqueeze(0);
    if (m.dim() == 3) m = m.unsqueeze(0);
  } else if (m.dim() == 1) {
    m = m.unsqueeze(0);
  }
  bool fits = m.dim() == static_cast<int64_t>(data_shape.size()) + 1 && (m.size(0) == 1 || m.size(0) == n);
  for (int64_t d = 1; fits && d < m.dim(); ++d) {
    fits = m.size(d) == data_shape[d - 1] || (images && d == 1 && m.size(d) == 1);
  }
  if (!fits) reject(where + ": the mask has shape " + shape_text(m.sizes()) + ", expected " + expected, flag);
  const at::Tensor v = m.to(at::kDouble);
  if (!(v.eq(0) | v.eq(1)).all().item<bool>())
    reject(where + ": the mask must hold 0 (unknown) and 1 (known) only", flag);
  return v.to(at::kFloat).contiguous();
}

/// --mask SPEC as a float mask broadcastable to [n, data_shape...].
at::Tensor read_mask(const std::string& spec, at::IntArrayRef data_shape, int64_t n, int64_t seed) {
  const std::string flag = "--mask";
  const bool images = data_shape.size() == 3;
  if (spec == "left-half" || spec == "center-square") {
    if (images) {
      const int64_t h = data_shape[1], w = data_shape[2];
      at::Tensor m = at::ones({1, 1, h, w}, at::kFloat);
      if (spec == "left-half") {
        m.narrow(3, 0, w / 2).zero_();
      } else {
        m.narrow(2, h / 4, h / 2).narrow(3, w / 4, w / 2).zero_();
      }
      return m;
    }
    if (spec == "center-square") reject("center-square is a mask of images; the data are vectors", flag);
    const int64_t d = data_shape[0];
    at::Tensor m = at::ones({1, d}, at::kFloat);
    m.narrow(1, 0, (d + 1) / 2).zero_();  // the first half of the coordinates hidden
    return m;
  }
  if (spec.rfind("random:", 0) == 0) {
    const std::string number = spec.substr(7);
    double p = NAN;
    try {
      size_t used = 0;
      p = std::stod(number, &used);
      if (used != number.size()) p = NAN;
    } catch (const std::exception&) {
    }
    if (!(p >= 0.0 && p <= 1.0)) reject("random:<p> needs a fraction p in [0, 1], got '" + number + "'", flag);
    std::vector<int64_t> shape{n};
    if (images) {
      shape.insert(shape.end(), {1, data_shape[1], data_shape[2]});  // a pixel's channels together
    } else {
      shape.push_back(data_shape[0]);
    }
    auto gen = derived_generator(seed, 0, kMaskStream);
    return at::rand(shape, gen, at::kDouble).ge(p).to(at::kFloat);  // hidden with probability p
  }
  if (ends_with(spec, ".png") || ends_with(spec, ".PNG")) {
    if (!images) reject("a PNG mask is for image data; the data are vectors (use an npz with `mask`)", flag);
    require_file(spec, flag);
    at::Tensor grey;
    try {
      grey = read_image_file(spec, 1);
    } catch (const UsageError& e) {
      reject(e.what(), flag);
    }
    return shape_mask(grey.ge(128).to(at::kFloat), spec, data_shape, n);
  }
  if (ends_with(spec, ".npz")) return shape_mask(read_array(spec, "mask", flag), spec, data_shape, n);
  reject("unknown mask '" + spec + "': expected FILE.npz, FILE.png, left-half, center-square or random:<fraction>",
         flag);
}

}  // namespace

KnownData read_known_data(const InpaintInputs& in, at::IntArrayRef data_shape, int64_t n, int64_t seed) {
  const bool images = data_shape.size() == 3;
  if (!in.colorize.empty()) {
    if (!in.inpaint.empty() || !in.mask.empty()) {
      reject("colorization fixes the grey channel: it does not take --inpaint or --mask", "--colorize");
    }
    if (!images || data_shape[0] != 3) {
      reject("colorization needs RGB image data (3 channels), got per-sample shape " + shape_text(data_shape),
             "--colorize");
    }
    return colorization_target(read_known_x(in.colorize, "--colorize", data_shape, n));
  }
  if (!in.mask.empty() && in.inpaint.empty()) reject("a mask needs the known data: add --inpaint FILE.npz", "--mask");
  if (!in.inpaint.empty() && in.mask.empty()) {
    reject("inpainting needs a mask: add --mask FILE.npz|FILE.png|left-half|center-square|random:<fraction>",
           "--inpaint");
  }
  KnownData known;
  known.x = read_known_x(in.inpaint, "--inpaint", data_shape, n);
  known.mask = read_mask(in.mask, data_shape, n, seed);
  return known;
}

KnownData known_rows(const KnownData& known, int64_t first, int64_t count) {
  KnownData out = known;
  auto rows = [&](const at::Tensor& t) { return t.size(0) == 1 ? t : t.narrow(0, first, count); };
  out.x = rows(known.x);
  out.mask = rows(known.mask);
  return out;
}

}  // namespace hold
