#include "hold/io/npz.h"

#include <ATen/ATen.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <exception>
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

// ---------------------------------------------------------------- npy

size_t nbytes_of(const at::Tensor& t) { return static_cast<size_t>(t.numel()) * t.element_size(); }

/// Magic, version, length and the dict padded with spaces and '\n' so that the
/// data starts at a multiple of 64 bytes. Version 1.0 has a 16-bit length;
/// only a dict too long for it needs 2.0 (a 32-bit length).
std::string npy_header(const at::Tensor& t) {
  std::string dict = npy_header_dict(t.scalar_type(), t.sizes());
  const bool v1 = 10 + dict.size() + 1 + 63 <= 0xffff;
  const size_t prefix = v1 ? 10 : 12;
  const size_t unpadded = prefix + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string h(v1 ? std::string("\x93NUMPY\x01\x00", 8) : std::string("\x93NUMPY\x02\x00", 8));
  if (v1) {
    put16(h, static_cast<uint32_t>(dict.size()));
  } else {
    put32(h, static_cast<uint32_t>(dict.size()));
  }
  return h + dict;
}

/// The length of the whole .npy header (magic to the end of the dict) from its
/// first `prefix.size()` bytes: 10 suffice for version 1.0, 12 for 2.0/3.0.
size_t npy_header_length(const std::string& prefix, const std::string& where) {
  if (prefix.size() < 10 || prefix.compare(0, 6, "\x93NUMPY") != 0) {
    throw UsageError("not an .npy array (" + where + ")");
  }
  const int major = static_cast<uint8_t>(prefix[6]);
  if (major == 1) return 10 + get16(prefix, 8);
  if (major != 2 && major != 3) {
    throw UsageError("unsupported .npy version " + std::to_string(major) + " (" + where + ")");
  }
  if (prefix.size() < 12) throw UsageError("truncated .npy header (" + where + ")");
  return 12 + static_cast<size_t>(get32(prefix, 8));
}

[[noreturn]] void malformed_header(const std::string& dict, const std::string& where) {
  throw UsageError("malformed .npy header '" + dict + "' (" + where + ")");
}

/// The dimensions in a shape tuple's text, e.g. "3, 2" or "5,": non-negative
/// integers (Python 2's "3L" included), anything else is a malformed header.
std::vector<int64_t> parse_dims(const std::string& text, const std::string& dict, const std::string& where) {
  std::vector<int64_t> sizes;
  std::stringstream dims(text);
  for (std::string item; std::getline(dims, item, ',');) {
    const size_t first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    size_t last = item.find_last_not_of(" \tL");
    int64_t v = -1;
    const char* end = item.data() + (last == std::string::npos ? first : last + 1);
    const auto [ptr, ec] = std::from_chars(item.data() + first, end, v);
    if (ec != std::errc() || ptr != end || v < 0) malformed_header(dict, where);
    sizes.push_back(v);
  }
  return sizes;
}

/// What a whole .npy header (`header`, npy_header_length bytes) declares.
NpyInfo parse_npy_header(const std::string& header, const std::string& where) {
  const size_t start = static_cast<uint8_t>(header[6]) == 1 ? 10 : 12;
  const std::string dict = header.substr(start);
  static const std::regex descr_re("'descr'\\s*:\\s*'([^']*)'");
  static const std::regex fortran_re("'fortran_order'\\s*:\\s*(True|False)");
  static const std::regex shape_re("'shape'\\s*:\\s*\\(([^)]*)\\)");
  std::smatch descr, fortran, shape;
  if (!std::regex_search(dict, descr, descr_re) || !std::regex_search(dict, fortran, fortran_re) ||
      !std::regex_search(dict, shape, shape_re)) {
    malformed_header(dict, where);
  }
  return {type_of(descr[1], where), parse_dims(shape[1].str(), dict, where), fortran[1] == "True"};
}

/// Bytes of the array data an header declares, or max() when that overflows.
uint64_t data_bytes(const NpyInfo& info) {
  uint64_t n = c10::elementSize(info.dtype);
  for (const int64_t d : info.shape) {
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) {
      return std::numeric_limits<uint64_t>::max();
    }
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

// ---------------------------------------------------------------- zip writing

// 1980-01-01 00:00, the zip epoch: equal arrays give byte-identical files.
constexpr zip_uint16_t kDosDate = (0 << 9) | (1 << 5) | 1, kDosTime = 0;
constexpr zip_uint32_t kUnixMode = 0100644;  // a regular rw-r--r-- file when extracted

/// libzip's output for write_npz: a seekable sink (libzip goes back to patch
/// each local header) over an AtomicFile, committed when zip_close succeeds.
/// libzip is C: an exception must not cross it, so a failure is kept here and
/// rethrown once zip_close has returned.
class ZipTarget {
 public:
  explicit ZipTarget(const std::string& path) : file_(path) { zip_error_init(&error_); }
  ~ZipTarget() { zip_error_fini(&error_); }
  ZipTarget(const ZipTarget&) = delete;
  ZipTarget& operator=(const ZipTarget&) = delete;

  static zip_int64_t callback(void* state, void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
    auto* self = static_cast<ZipTarget*>(state);
    try {
      return self->handle(data, len, cmd);
    } catch (...) {
      self->failure_ = std::current_exception();
      zip_error_set(&self->error_, ZIP_ER_WRITE, 0);
      return -1;
    }
  }
  /// Rethrows the failure of a callback, if there was one.
  void rethrow() const {
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  zip_int64_t handle(void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
    switch (cmd) {
      case ZIP_SOURCE_SUPPORTS: return ZIP_SOURCE_SUPPORTS_WRITABLE;
      case ZIP_SOURCE_STAT:  // "no such file": libzip then starts an empty archive
        zip_error_set(&error_, ZIP_ER_READ, ENOENT);
        return -1;
      case ZIP_SOURCE_WRITE: return write(data, len);
      case ZIP_SOURCE_SEEK_WRITE: return seek(data, len);
      case ZIP_SOURCE_TELL_WRITE: return static_cast<zip_int64_t>(position_);
      case ZIP_SOURCE_COMMIT_WRITE: file_.commit(); return 0;
      case ZIP_SOURCE_ERROR: return zip_error_to_data(&error_, data, len);
      // Nothing to do: BEGIN_WRITE, the AtomicFile is already open; ROLLBACK_WRITE,
      // ~AtomicFile removes the temporary; REMOVE, the target was never touched;
      // FREE, the source is owned by write_npz.
      case ZIP_SOURCE_BEGIN_WRITE:
      case ZIP_SOURCE_ROLLBACK_WRITE:
      case ZIP_SOURCE_REMOVE:
      case ZIP_SOURCE_FREE: return 0;
      default: zip_error_set(&error_, ZIP_ER_OPNOTSUPP, 0); return -1;
    }
  }
  zip_int64_t write(const void* data, zip_uint64_t len) {
    file_.write(data, len);
    position_ += len;
    size_ = std::max(size_, position_);
    return static_cast<zip_int64_t>(len);
  }
  zip_int64_t seek(void* data, zip_uint64_t len) {
    const zip_int64_t to = zip_source_seek_compute_offset(position_, size_, data, len, &error_);
    if (to < 0) return -1;
    file_.seek(static_cast<uint64_t>(to));
    position_ = static_cast<uint64_t>(to);
    return 0;
  }

  AtomicFile file_;
  zip_error_t error_;
  std::exception_ptr failure_;
  uint64_t position_ = 0, size_ = 0;
};

/// One array ready to be written: its entry name, .npy header and CPU bytes.
struct PreparedArray {
  std::string entry;
  std::string header;
  at::Tensor data;  ///< contiguous CPU; libzip reads straight from its memory
};

void check_array_name(const std::string& name, const std::string& path) {
  if (name.empty() || name.find('/') != std::string::npos) {
    throw UsageError("bad npz array name '" + name + "' (" + path + ")");
  }
}

std::vector<PreparedArray> prepare(const std::string& path,
                                   const std::vector<std::pair<std::string, at::Tensor>>& arrays) {
  std::vector<PreparedArray> out;
  for (const auto& [name, tensor] : arrays) {
    check_array_name(name, path);
    descr_of(tensor.scalar_type(), path);
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    out.push_back({name + ".npy", npy_header(t), std::move(t)});
  }
  return out;
}

[[noreturn]] void throw_zip_error(zip_t* za, const std::string& what, const std::string& path) {
  throw UsageError(what + ": " + zip_strerror(za) + " (" + path + ")");
}

/// Adds one stored entry whose data is the header and then the tensor's bytes
/// (two fragments: nothing is copied), with the fixed timestamp.
void add_entry(zip_t* za, const PreparedArray& a, const std::string& path) {
  const size_t nbytes = nbytes_of(a.data);
  const zip_buffer_fragment_t fragments[2] = {
      {reinterpret_cast<zip_uint8_t*>(const_cast<char*>(a.header.data())), a.header.size()},
      {static_cast<zip_uint8_t*>(a.data.data_ptr()), nbytes}};
  zip_source_t* source = zip_source_buffer_fragment(za, fragments, nbytes > 0 ? 2 : 1, 0);
  if (!source) throw_zip_error(za, "cannot add an npz entry", path);
  const zip_int64_t index = zip_file_add(za, a.entry.c_str(), source, 0);
  if (index < 0) {
    zip_source_free(source);
    if (zip_error_code_zip(zip_get_error(za)) == ZIP_ER_EXISTS) {
      throw UsageError("repeated npz array name '" + a.entry.substr(0, a.entry.size() - 4) + "' (" + path + ")");
    }
    throw_zip_error(za, "cannot add an npz entry", path);
  }
  const auto i = static_cast<zip_uint64_t>(index);
  if (zip_set_file_compression(za, i, ZIP_CM_STORE, 0) != 0 ||
      zip_file_set_dostime(za, i, kDosTime, kDosDate, 0) != 0 ||
      zip_file_set_external_attributes(za, i, 0, ZIP_OPSYS_UNIX, kUnixMode << 16) != 0) {
    throw_zip_error(za, "cannot add an npz entry", path);
  }
}

/// An archive with no entries: the end record alone (libzip would rather
/// write no file at all).
const std::string kEmptyZip("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);

// ---------------------------------------------------------------- zip reading

struct ZipDiscard {
  void operator()(zip_t* za) const { zip_discard(za); }
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

/// The longest .npy header we accept: numpy's own are a few hundred bytes, and
/// a corrupted length must not make us allocate gigabytes.
constexpr size_t kMaxNpyHeader = 1 << 20;

/// One opened zip entry, read front to back.
class EntryStream {
 public:
  EntryStream(zip_t* za, zip_uint64_t index, std::string where) : where_(std::move(where)) {
    zip_stat_t st;
    if (zip_stat_index(za, index, 0, &st) != 0) throw_zip_error(za, "corrupt zip entry", where_);
    if ((st.valid & ZIP_STAT_COMP_METHOD) && !zip_compression_method_supported(st.comp_method, 0)) {
      throw UsageError("unsupported zip compression method " + std::to_string(st.comp_method) + " (" + where_ + ")");
    }
    size_ = (st.valid & ZIP_STAT_SIZE) ? st.size : std::numeric_limits<uint64_t>::max();
    file_.reset(zip_fopen_index(za, index, 0));
    if (!file_) throw_zip_error(za, "cannot read zip entry", where_);
  }

  /// Reads up to n bytes (fewer only at the end of the entry).
  size_t read(void* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      const size_t step = std::min<size_t>(n - got, size_t{1} << 30);
      const zip_int64_t r = zip_fread(file_.get(), static_cast<char*>(dst) + got, step);
      if (r < 0) fail();
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }
  std::string read_string(size_t n) {
    std::string s(n, '\0');
    s.resize(read(s.data(), n));
    return s;
  }
  /// Reads to the end, which makes libzip check the entry's CRC-32 and size.
  void finish() {
    char sink[4096];
    while (read(sink, sizeof sink) == sizeof sink) {
    }
  }
  uint64_t size() const { return size_; }
  const std::string& where() const { return where_; }

 private:
  [[noreturn]] void fail() {
    zip_error_t* e = zip_file_get_error(file_.get());
    if (zip_error_code_zip(e) == ZIP_ER_CRC) throw UsageError("CRC mismatch (" + where_ + ")");
    throw UsageError(std::string("corrupt zip entry: ") + zip_error_strerror(e) + " (" + where_ + ")");
  }

  std::string where_;
  uint64_t size_ = 0;
  std::unique_ptr<zip_file_t, ZipFileClose> file_;
};

/// Reads and parses the .npy header at the start of an entry.
NpyInfo read_npy_header(EntryStream& in, size_t& header_length) {
  std::string header = in.read_string(10);
  if (header.size() == 10 && static_cast<uint8_t>(header[6]) != 1) header += in.read_string(2);
  header_length = npy_header_length(header, in.where());
  if (header_length > kMaxNpyHeader) throw UsageError("implausibly long .npy header (" + in.where() + ")");
  header += in.read_string(header_length - header.size());
  if (header.size() < header_length) throw UsageError("truncated .npy header (" + in.where() + ")");
  return parse_npy_header(header, in.where());
}

/// An empty CPU tensor; an allocation failure (a huge, corrupted shape that
/// still fits the entry's declared size) is the file's fault, not ours.
at::Tensor allocate(at::IntArrayRef shape, at::ScalarType dtype, const std::string& where) {
  try {
    return at::empty(shape, at::TensorOptions().dtype(dtype));
  } catch (const c10::Error&) {
    throw UsageError("cannot allocate memory for the array (" + where + ")");
  }
}

/// The rest of the entry after its header: the array data, in C order.
at::Tensor read_npy_data(EntryStream& in, const NpyInfo& info, size_t header_length) {
  const uint64_t nbytes = data_bytes(info);
  if (nbytes > in.size() || header_length > in.size() - nbytes) {
    throw UsageError("truncated .npy data (" + in.where() + ")");
  }
  // Fortran order: the bytes are the C order of the reversed shape (the transpose).
  std::vector<int64_t> stored = info.shape;
  if (info.fortran_order) std::reverse(stored.begin(), stored.end());
  at::Tensor t = allocate(stored, info.dtype, in.where());
  if (in.read(t.data_ptr(), nbytes) != nbytes) throw UsageError("truncated .npy data (" + in.where() + ")");
  in.finish();
  if (!info.fortran_order) return t;
  std::vector<int64_t> perm(stored.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
  return t.permute(perm).contiguous();
}

std::string strip_npy(const std::string& entry) {
  if (entry.size() > 4 && entry.compare(entry.size() - 4, 4, ".npy") == 0) return entry.substr(0, entry.size() - 4);
  return entry;
}

}  // namespace

// ---------------------------------------------------------------- NpzReader

struct NpzReader::Impl {
  std::string path;
  std::unique_ptr<zip_t, ZipDiscard> zip;
  std::vector<std::string> names;                  ///< archive order
  std::map<std::string, zip_uint64_t> index;       ///< name -> entry index
  std::map<std::string, std::string> entry_names;  ///< name -> entry name

  zip_uint64_t locate(const std::string& name) const {
    const auto it = index.find(name);
    if (it == index.end()) throw UsageError("no array '" + name + "' in (" + path + ")");
    return it->second;
  }
  EntryStream open(const std::string& name) const {
    const zip_uint64_t i = locate(name);  // first: it throws for an unknown name
    return EntryStream(zip.get(), i, path + ":" + entry_names.at(name));
  }
};

namespace {

[[noreturn]] void throw_open_error(int code, const std::string& path) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  const std::string what = zip_error_strerror(&e);
  zip_error_fini(&e);
  if (code == ZIP_ER_NOZIP) throw UsageError("not an npz (zip) file (" + path + ")");
  if (code == ZIP_ER_OPEN || code == ZIP_ER_NOENT || code == ZIP_ER_READ) {
    throw UsageError("cannot open npz file: " + what + " (" + path + ")");
  }
  throw UsageError("corrupt npz (zip) file: " + what + " (" + path + ")");
}

}  // namespace

NpzReader::NpzReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  int code = 0;
  impl_->zip.reset(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!impl_->zip) throw_open_error(code, path);
  const zip_int64_t count = zip_get_num_entries(impl_->zip.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* entry = zip_get_name(impl_->zip.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    if (!entry) throw_zip_error(impl_->zip.get(), "corrupt zip directory", path);
    const std::string name = strip_npy(entry);
    if (!impl_->index.count(name)) impl_->names.push_back(name);
    impl_->index[name] = static_cast<zip_uint64_t>(i);  // a repeated name: the last wins
    impl_->entry_names[name] = entry;
  }
}

NpzReader::~NpzReader() = default;
NpzReader::NpzReader(NpzReader&&) noexcept = default;
NpzReader& NpzReader::operator=(NpzReader&&) noexcept = default;

const std::string& NpzReader::path() const { return impl_->path; }
std::vector<std::string> NpzReader::names() const { return impl_->names; }
bool NpzReader::contains(const std::string& name) const { return impl_->index.count(name) > 0; }

NpyInfo NpzReader::info(const std::string& name) const {
  EntryStream in = impl_->open(name);
  size_t header_length = 0;
  return read_npy_header(in, header_length);
}

at::Tensor NpzReader::read(const std::string& name) const {
  EntryStream in = impl_->open(name);
  size_t header_length = 0;
  const NpyInfo info = read_npy_header(in, header_length);
  return read_npy_data(in, info, header_length);
}

// ---------------------------------------------------------------- free functions

std::string npy_header_dict(at::ScalarType dtype, at::IntArrayRef shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  s += shape.size() == 1 ? ",)" : ")";
  return std::string("{'descr': '") + descr_of(dtype, "npy") + "', 'fortran_order': False, 'shape': " + s + ", }";
}

std::string npy_bytes(const at::Tensor& array) {
  const at::Tensor t = array.detach().to(at::kCPU).contiguous();
  return npy_header(t) + std::string(static_cast<const char*>(t.data_ptr()), nbytes_of(t));
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& arrays) {
  const std::vector<PreparedArray> prepared = prepare(path, arrays);
  if (prepared.empty()) return write_file_atomic(path, kEmptyZip);
  ZipTarget target(path);
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* sink = zip_source_function_create(&ZipTarget::callback, &target, &error);
  zip_t* za = sink ? zip_open_from_source(sink, ZIP_CREATE | ZIP_TRUNCATE, &error) : nullptr;
  if (!za) {
    if (sink) zip_source_free(sink);
    const std::string what = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw UsageError("cannot write npz: " + what + " (" + path + ")");
  }
  zip_error_fini(&error);
  std::unique_ptr<zip_t, ZipDiscard> archive(za);  // until zip_close succeeds
  for (const auto& a : prepared) add_entry(za, a, path);
  if (zip_close(za) != 0) {
    target.rethrow();
    throw_zip_error(za, "cannot write npz", path);
  }
  static_cast<void>(archive.release());  // zip_close freed it
}

std::map<std::string, at::Tensor> read_npz(const std::string& path) {
  const NpzReader npz(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& name : npz.names()) out[name] = npz.read(name);
  return out;
}

at::Tensor read_npz_array(const std::string& path, const std::string& name) { return NpzReader(path).read(name); }

}  // namespace hold
