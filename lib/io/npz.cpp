#include "hold/io/npz.h"

#include <ATen/ATen.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include "hold/core/error.h"
#include "hold/io/atomic_file.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "npz I/O assumes a little-endian host");

namespace hold {
namespace {

// ---------------------------------------------------------------- dtypes

struct DtypeCode {
  at::ScalarType type;
  const char* descr;
};

const DtypeCode kDtypes[] = {
    {at::kFloat, "<f4"}, {at::kDouble, "<f8"}, {at::kHalf, "<f2"}, {at::kByte, "|u1"}, {at::kChar, "|i1"},
    {at::kShort, "<i2"}, {at::kInt, "<i4"},    {at::kLong, "<i8"}, {at::kBool, "|b1"},
};

const char* descr_of(at::ScalarType type, const std::string& where) {
  for (const auto& d : kDtypes) {
    if (d.type == type) return d.descr;
  }
  throw UsageError(std::string("dtype ") + c10::toString(type) + " cannot be written to npz (" + where + ")");
}

at::ScalarType type_of(std::string descr, const std::string& where) {
  // '=' (native) and '<' are the same on our little-endian hosts; 1-byte types
  // may come as '|u1', '<u1' or 'u1'.
  if (!descr.empty() && (descr[0] == '=' || descr[0] == '<')) descr[0] = '<';
  for (const auto& d : kDtypes) {
    const std::string code = d.descr;
    if (descr == code || (code[0] == '|' && (descr == code.substr(1) || descr == "<" + code.substr(1)))) return d.type;
  }
  throw UsageError("unsupported npy dtype '" + descr + "' (" + where + ")");
}

// ---------------------------------------------------------------- little-endian bytes

void put16(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}
void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}
uint32_t get16(const std::string& s, size_t at) {
  return static_cast<uint8_t>(s[at]) | (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 8);
}
uint32_t get32(const std::string& s, size_t at) { return get16(s, at) | (get16(s, at + 2) << 16); }
uint64_t get64(const std::string& s, size_t at) {
  return get32(s, at) | (static_cast<uint64_t>(get32(s, at + 4)) << 32);
}

// ---------------------------------------------------------------- zip records

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01: reproducible files
constexpr uint32_t kDosTime = 0;
constexpr uint32_t kVersion = 20;  // 2.0: the oldest that knows "stored"

struct ZipMember {
  std::string name;
  uint32_t crc = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

std::string local_header(const ZipMember& m) {
  std::string h;
  put32(h, kLocalSig);
  put16(h, kVersion);
  put16(h, 0);  // flags
  put16(h, 0);  // method: stored
  put16(h, kDosTime);
  put16(h, kDosDate);
  put32(h, m.crc);
  put32(h, static_cast<uint32_t>(m.size));  // compressed size
  put32(h, static_cast<uint32_t>(m.size));  // uncompressed size
  put16(h, static_cast<uint32_t>(m.name.size()));
  put16(h, 0);  // extra length
  return h + m.name;
}

std::string central_header(const ZipMember& m) {
  std::string h;
  put32(h, kCentralSig);
  put16(h, kVersion);  // made by
  put16(h, kVersion);  // needed
  put16(h, 0);
  put16(h, 0);
  put16(h, kDosTime);
  put16(h, kDosDate);
  put32(h, m.crc);
  put32(h, static_cast<uint32_t>(m.size));
  put32(h, static_cast<uint32_t>(m.size));
  put16(h, static_cast<uint32_t>(m.name.size()));
  put16(h, 0);  // extra
  put16(h, 0);  // comment
  put16(h, 0);  // disk
  put16(h, 0);  // internal attributes
  put32(h, 0);  // external attributes
  put32(h, static_cast<uint32_t>(m.offset));
  return h + m.name;
}

std::string end_record(size_t count, uint64_t cd_size, uint64_t cd_offset) {
  std::string h;
  put32(h, kEndSig);
  put16(h, 0);
  put16(h, 0);
  put16(h, static_cast<uint32_t>(count));
  put16(h, static_cast<uint32_t>(count));
  put32(h, static_cast<uint32_t>(cd_size));
  put32(h, static_cast<uint32_t>(cd_offset));
  put16(h, 0);  // comment
  return h;
}

uint32_t crc_of(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {  // zlib takes uInt lengths
    const uInt step = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = static_cast<uint32_t>(crc32(crc, p, step));
    p += step;
    n -= step;
  }
  return crc;
}

// ---------------------------------------------------------------- npy

std::string npy_header(const at::Tensor& t) {
  std::string dict = npy_header_dict(t.scalar_type(), t.sizes());
  // magic(6) + version(2) + length(2) + dict + padding + '\n' ≡ 0 mod 64.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string h("\x93NUMPY\x01\x00", 8);
  put16(h, static_cast<uint32_t>(dict.size()));
  return h + dict;
}

at::Tensor parse_npy(const std::string& bytes, const std::string& where) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw UsageError("not an .npy array (" + where + ")");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = get16(bytes, 8), start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw UsageError("truncated .npy header (" + where + ")");
    header_len = get32(bytes, 8), start = 12;
  } else {
    throw UsageError("unsupported .npy version " + std::to_string(major) + " (" + where + ")");
  }
  if (start + header_len > bytes.size()) throw UsageError("truncated .npy header (" + where + ")");
  const std::string dict = bytes.substr(start, header_len);
  static const std::regex descr_re("'descr'\\s*:\\s*'([^']*)'");
  static const std::regex fortran_re("'fortran_order'\\s*:\\s*(True|False)");
  static const std::regex shape_re("'shape'\\s*:\\s*\\(([^)]*)\\)");
  std::smatch descr, fortran, shape;
  if (!std::regex_search(dict, descr, descr_re) || !std::regex_search(dict, fortran, fortran_re) ||
      !std::regex_search(dict, shape, shape_re)) {
    throw UsageError("malformed .npy header '" + dict + "' (" + where + ")");
  }
  std::vector<int64_t> sizes;
  std::stringstream dims(shape[1].str());
  for (std::string item; std::getline(dims, item, ',');) {
    if (item.find_first_not_of(" \t") == std::string::npos) continue;
    sizes.push_back(std::stoll(item));
  }
  const bool fortran_order = fortran[1] == "True";
  const at::ScalarType type = type_of(descr[1], where);
  if (fortran_order) std::reverse(sizes.begin(), sizes.end());
  at::Tensor t = at::empty(sizes, at::TensorOptions().dtype(type));
  const size_t nbytes = t.numel() * t.element_size();
  if (start + header_len + nbytes > bytes.size()) throw UsageError("truncated .npy data (" + where + ")");
  std::memcpy(t.data_ptr(), bytes.data() + start + header_len, nbytes);
  if (fortran_order) {
    std::vector<int64_t> perm(sizes.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
    t = t.permute(perm).contiguous();
  }
  return t;
}

// ---------------------------------------------------------------- zip reading

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(std::string("cannot open npz file: ") + std::strerror(errno) + " (" + path + ")");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string inflate_raw(const std::string& src, size_t out_size, const std::string& where) {
  std::string out(out_size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw UsageError("zlib init failed (" + where + ")");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(src.data()));
  zs.avail_in = static_cast<uInt>(src.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || zs.total_out != out_size) throw UsageError("corrupt deflated entry (" + where + ")");
  return out;
}

/// Sizes and offset from the zip64 extra field where the 32-bit ones are 0xFFFFFFFF.
void apply_zip64(const std::string& file, size_t extra_at, size_t extra_len, uint64_t& usize, uint64_t& csize,
                 uint64_t& offset) {
  for (size_t p = extra_at; p + 4 <= extra_at + extra_len;) {
    const uint32_t id = get16(file, p), len = get16(file, p + 2);
    if (id == 0x0001) {
      size_t q = p + 4;
      if (usize == 0xffffffffu) usize = get64(file, q), q += 8;
      if (csize == 0xffffffffu) csize = get64(file, q), q += 8;
      if (offset == 0xffffffffu) offset = get64(file, q);
      return;
    }
    p += 4 + len;
  }
}

}  // namespace

std::string npy_header_dict(at::ScalarType dtype, at::IntArrayRef shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  s += shape.size() == 1 ? ",)" : ")";
  return std::string("{'descr': '") + descr_of(dtype, "npy") + "', 'fortran_order': False, 'shape': " + s + ", }";
}

std::string npy_bytes(const at::Tensor& array) {
  const at::Tensor t = array.detach().to(at::kCPU).contiguous();
  return npy_header(t) + std::string(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& arrays) {
  AtomicFile file(path);
  std::vector<ZipMember> members;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : arrays) {
    if (name.empty() || name.find('/') != std::string::npos) {
      throw UsageError("bad npz array name '" + name + "' (" + path + ")");
    }
    descr_of(tensor.scalar_type(), path);
    const at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const std::string header = npy_header(t);
    const size_t nbytes = t.numel() * t.element_size();
    ZipMember m{name + ".npy", 0, header.size() + nbytes, offset};
    m.crc = crc_of(crc_of(0, header.data(), header.size()), t.data_ptr(), nbytes);
    const std::string local = local_header(m);
    offset += local.size() + m.size;
    if (offset >= std::numeric_limits<uint32_t>::max()) {
      throw UsageError("npz larger than 4 GiB is not supported (no zip64) (" + path + ")");
    }
    file.write(local);
    file.write(header);
    file.write(t.data_ptr(), nbytes);
    members.push_back(std::move(m));
  }
  std::string directory;
  for (const auto& m : members) directory += central_header(m);
  file.write(directory);
  file.write(end_record(members.size(), directory.size(), offset));
  file.commit();
}

std::map<std::string, at::Tensor> read_npz(const std::string& path) {
  const std::string file = read_all(path);
  // The end-of-central-directory record: 22 bytes + a comment of up to 64 KiB.
  size_t end = std::string::npos;
  if (file.size() >= 22) {
    const size_t lowest = file.size() > 22 + 65535 ? file.size() - 22 - 65535 : 0;
    for (size_t p = file.size() - 22 + 1; p-- > lowest;) {
      if (get32(file, p) == kEndSig) {
        end = p;
        break;
      }
    }
  }
  if (end == std::string::npos) throw UsageError("not an npz (zip) file (" + path + ")");
  const size_t count = get16(file, end + 10);
  size_t p = get32(file, end + 16);
  std::map<std::string, at::Tensor> out;
  for (size_t i = 0; i < count; ++i) {
    if (p + 46 > file.size() || get32(file, p) != kCentralSig) throw UsageError("corrupt zip directory (" + path + ")");
    const uint32_t method = get16(file, p + 10), crc = get32(file, p + 16);
    uint64_t csize = get32(file, p + 20), usize = get32(file, p + 24);
    const size_t name_len = get16(file, p + 28), extra_len = get16(file, p + 30), comment_len = get16(file, p + 32);
    uint64_t offset = get32(file, p + 42);
    const std::string name = file.substr(p + 46, name_len);
    apply_zip64(file, p + 46 + name_len, extra_len, usize, csize, offset);
    p += 46 + name_len + extra_len + comment_len;

    const std::string where = path + ":" + name;
    if (offset + 30 > file.size() || get32(file, offset) != kLocalSig) {
      throw UsageError("corrupt zip entry (" + where + ")");
    }
    const size_t data_at = offset + 30 + get16(file, offset + 26) + get16(file, offset + 28);
    if (data_at + csize > file.size()) throw UsageError("truncated zip entry (" + where + ")");
    std::string bytes = file.substr(data_at, csize);
    if (method == 8) {
      bytes = inflate_raw(bytes, usize, where);
    } else if (method != 0) {
      throw UsageError("unsupported zip compression method " + std::to_string(method) + " (" + where + ")");
    }
    if (crc_of(0, bytes.data(), bytes.size()) != crc) throw UsageError("CRC mismatch (" + where + ")");
    std::string key = name;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    out[key] = parse_npy(bytes, where);
  }
  return out;
}

}  // namespace hold
