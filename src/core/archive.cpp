// SPDX-License-Identifier: MIT
// Archive <-> HDF5 through the HDF5 C API: every call's status is checked and turned into IOError,
// so a corrupt or foreign file can never crash the process or print HDF5's error stack.
#include "matopt/core/archive.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>

#include "core/crc32.hpp"
#include "core/isolated.hpp"
#include "matopt/core/atomic_file.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"

namespace matopt {

struct Archive::Impl {
  std::map<std::string, Archive> children;
  std::map<std::string, Data> data;
  std::map<std::string, std::map<std::string, std::vector<std::string>>> data_attrs;
  std::map<std::string, Attr> attrs;
};

Archive::Archive() : impl_(std::make_unique<Impl>()) {}
Archive::Archive(const Archive& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Archive& Archive::operator=(const Archive& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
Archive::Archive(Archive&& o) noexcept : impl_(std::move(o.impl_)) {}
Archive& Archive::operator=(Archive&& o) noexcept {
  impl_ = std::move(o.impl_);
  return *this;
}
Archive::~Archive() = default;

namespace {

void check_name(const std::string& name, const char* what) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw InvalidArgument(std::string("archive ") + what + " name '" + name + "' is invalid (empty, '.', '..' or contains '/')");
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t e = path.find('/', start);
    if (e == std::string::npos) e = path.size();
    if (e > start) parts.push_back(path.substr(start, e - start));
    start = e + 1;
  }
  if (parts.empty()) throw InvalidArgument("archive path '" + path + "' is empty");
  for (const auto& p : parts) check_name(p, "group");
  return parts;
}

}  // namespace

Archive& Archive::child(const std::string& path) {
  Archive* node = this;
  for (const auto& part : split_path(path)) node = &node->impl_->children[part];
  return *node;
}

const Archive& Archive::child(const std::string& path) const {
  const Archive* node = this;
  for (const auto& part : split_path(path)) {
    auto it = node->impl_->children.find(part);
    if (it == node->impl_->children.end()) throw IOError("archive has no group '" + path + "' (missing '" + part + "')");
    node = &it->second;
  }
  return *node;
}

bool Archive::has_child(const std::string& path) const {
  const Archive* node = this;
  for (const auto& part : split_path(path)) {
    auto it = node->impl_->children.find(part);
    if (it == node->impl_->children.end()) return false;
    node = &it->second;
  }
  return true;
}

std::vector<std::string> Archive::child_names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : impl_->children) out.push_back(k);
  return out;
}

void Archive::set(const std::string& name, Data value) {
  check_name(name, "entry");
  if (impl_->children.count(name)) throw InvalidArgument("archive entry '" + name + "' clashes with a group of that name");
  impl_->data[name] = std::move(value);
}

bool Archive::has(const std::string& name) const { return impl_->data.count(name) != 0; }

const Archive::Data& Archive::get(const std::string& name) const {
  auto it = impl_->data.find(name);
  if (it == impl_->data.end()) throw IOError("archive has no entry '" + name + "'");
  return it->second;
}

std::vector<std::string> Archive::data_names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : impl_->data) out.push_back(k);
  return out;
}

namespace {
template <class T>
const T& typed(const Archive::Data& d, const std::string& name, const char* expected) {
  if (const T* p = std::get_if<T>(&d)) return *p;
  throw IOError("archive entry '" + name + "' is not " + expected);
}
}  // namespace

const Eigen::MatrixXd& Archive::matrix(const std::string& name) const {
  return typed<Eigen::MatrixXd>(get(name), name, "a matrix (2-D float64)");
}
const Eigen::VectorXd& Archive::vector(const std::string& name) const {
  return typed<Eigen::VectorXd>(get(name), name, "a vector (1-D float64)");
}
const std::vector<std::string>& Archive::strings(const std::string& name) const {
  return typed<std::vector<std::string>>(get(name), name, "a list of strings");
}
const std::vector<std::uint8_t>& Archive::bytes(const std::string& name) const {
  return typed<std::vector<std::uint8_t>>(get(name), name, "bytes (1-D uint8)");
}
const std::vector<std::int64_t>& Archive::integers(const std::string& name) const {
  return typed<std::vector<std::int64_t>>(get(name), name, "integers (1-D int64)");
}

void Archive::set_data_attr(const std::string& data_name, const std::string& attr, std::vector<std::string> value) {
  if (!has(data_name)) throw InvalidArgument("archive: cannot set attribute '" + attr + "' on missing entry '" + data_name + "'");
  check_name(attr, "attribute");
  impl_->data_attrs[data_name][attr] = std::move(value);
}

std::vector<std::string> Archive::data_attr_names(const std::string& data_name) const {
  std::vector<std::string> out;
  auto it = impl_->data_attrs.find(data_name);
  if (it != impl_->data_attrs.end())
    for (const auto& [k, v] : it->second) out.push_back(k);
  return out;
}

std::vector<std::string> Archive::attr_names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : impl_->attrs) out.push_back(k);
  return out;
}

const std::vector<std::string>* Archive::data_attr(const std::string& data_name, const std::string& attr) const {
  auto it = impl_->data_attrs.find(data_name);
  if (it == impl_->data_attrs.end()) return nullptr;
  auto jt = it->second.find(attr);
  return jt == it->second.end() ? nullptr : &jt->second;
}

void Archive::set_attr(const std::string& name, Attr value) {
  check_name(name, "attribute");
  impl_->attrs[name] = std::move(value);
}
bool Archive::has_attr(const std::string& name) const { return impl_->attrs.count(name) != 0; }
const Archive::Attr& Archive::attr(const std::string& name) const {
  auto it = impl_->attrs.find(name);
  if (it == impl_->attrs.end()) throw IOError("archive has no attribute '" + name + "'");
  return it->second;
}
std::int64_t Archive::attr_int(const std::string& name) const {
  if (const auto* p = std::get_if<std::int64_t>(&attr(name))) return *p;
  throw IOError("archive attribute '" + name + "' is not an integer");
}
double Archive::attr_double(const std::string& name) const {
  const Attr& a = attr(name);
  if (const auto* p = std::get_if<double>(&a)) return *p;
  if (const auto* p = std::get_if<std::int64_t>(&a)) return static_cast<double>(*p);
  throw IOError("archive attribute '" + name + "' is not a number");
}
const std::string& Archive::attr_string(const std::string& name) const {
  if (const auto* p = std::get_if<std::string>(&attr(name))) return *p;
  throw IOError("archive attribute '" + name + "' is not a string");
}

// ---------------------------------------------------------------------------------------------
// HDF5 I/O

namespace {

// Owns one HDF5 identifier.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& o) noexcept : id_(std::exchange(o.id_, -1)), closer_(o.closer_) {}
  ~Hid() {
    if (id_ >= 0 && closer_) closer_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

struct Ctx {
  std::string file;  // for messages
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw IOError(file + ": " + (where.empty() ? "" : "'" + where + "': ") + what);
  }
  Hid check(hid_t id, Hid::Closer closer, const std::string& where, const char* what) const {
    if (id < 0) fail(where, what);
    return Hid(id, closer);
  }
  void check(herr_t rc, const std::string& where, const char* what) const {
    if (rc < 0) fail(where, what);
  }
};

void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string join(const std::string& base, const std::string& name) { return base.empty() ? name : base + "/" + name; }

Hid utf8_type(const Ctx& c) {
  Hid t = c.check(H5Tcopy(H5T_C_S1), H5Tclose, "", "H5Tcopy failed");
  c.check(H5Tset_size(t.get(), H5T_VARIABLE), "", "H5Tset_size failed");
  c.check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "", "H5Tset_cset failed");
  return t;
}

void write_string_attr(const Ctx& c, hid_t obj, const std::string& name, const std::string& value, const std::string& where) {
  Hid type = utf8_type(c);
  Hid space = c.check(H5Screate(H5S_SCALAR), H5Sclose, where, "H5Screate failed");
  Hid a = c.check(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                  join(where, name), "cannot create attribute");
  const char* p = value.c_str();
  c.check(H5Awrite(a.get(), type.get(), &p), join(where, name), "cannot write attribute");
}

void write_strings_attr(const Ctx& c, hid_t obj, const std::string& name, const std::vector<std::string>& value,
                        const std::string& where) {
  Hid type = utf8_type(c);
  hsize_t n = value.size();
  Hid space = c.check(H5Screate_simple(1, &n, nullptr), H5Sclose, where, "H5Screate_simple failed");
  Hid a = c.check(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                  join(where, name), "cannot create attribute");
  std::vector<const char*> ptrs;
  for (const auto& s : value) ptrs.push_back(s.c_str());
  if (!ptrs.empty()) c.check(H5Awrite(a.get(), type.get(), ptrs.data()), join(where, name), "cannot write attribute");
}

void write_attr(const Ctx& c, hid_t obj, const std::string& name, const Archive::Attr& value, const std::string& where) {
  if (const auto* s = std::get_if<std::string>(&value)) return write_string_attr(c, obj, name, *s, where);
  Hid space = c.check(H5Screate(H5S_SCALAR), H5Sclose, where, "H5Screate failed");
  const bool is_int = std::holds_alternative<std::int64_t>(value);
  const hid_t type = is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
  const hid_t file_type = is_int ? H5T_STD_I64LE : H5T_IEEE_F64LE;
  Hid a = c.check(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                  join(where, name), "cannot create attribute");
  if (is_int) {
    const std::int64_t v = std::get<std::int64_t>(value);
    c.check(H5Awrite(a.get(), type, &v), join(where, name), "cannot write attribute");
  } else {
    const double v = std::get<double>(value);
    c.check(H5Awrite(a.get(), type, &v), join(where, name), "cannot write attribute");
  }
}

Hid make_dataset(const Ctx& c, hid_t group, const std::string& name, hid_t file_type, int rank, const hsize_t* dims,
                 const std::string& where, bool compress = false) {
  Hid space = c.check(H5Screate_simple(rank, dims, nullptr), H5Sclose, where, "H5Screate_simple failed");
  Hid dcpl = c.check(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, where, "H5Pcreate failed");
  hsize_t total = 1;
  for (int i = 0; i < rank; ++i) total *= dims[i];
  // Large numeric arrays (e.g. sparse composition fractions) shrink several-fold with shuffle +
  // deflate, a standard filter that h5py and every HDF5 build read.
  if (compress && total >= 4096 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    hsize_t chunk[2] = {dims[0], rank == 2 ? dims[1] : 1};
    const hsize_t row_elems = rank == 2 ? std::max<hsize_t>(dims[1], 1) : 1;
    chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(dims[0], (hsize_t{1} << 17) / row_elems));  // ~1 MiB chunks
    c.check(H5Pset_chunk(dcpl.get(), rank, chunk), where, "H5Pset_chunk failed");
    c.check(H5Pset_shuffle(dcpl.get()), where, "H5Pset_shuffle failed");
    c.check(H5Pset_deflate(dcpl.get(), 1), where, "H5Pset_deflate failed");
  }
  return c.check(H5Dcreate2(group, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose,
                 where, "cannot create dataset");
}

void write_data(const Ctx& c, hid_t group, const std::string& name, const Archive::Data& d, const std::string& where) {
  if (const auto* m = std::get_if<Eigen::MatrixXd>(&d)) {
    hsize_t dims[2] = {static_cast<hsize_t>(m->rows()), static_cast<hsize_t>(m->cols())};
    Hid ds = make_dataset(c, group, name, H5T_IEEE_F64LE, 2, dims, where, true);
    // HDF5 (and h5py) are row-major; Eigen's default is column-major.
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = *m;
    if (rm.size() > 0) c.check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rm.data()), where, "cannot write");
  } else if (const auto* v = std::get_if<Eigen::VectorXd>(&d)) {
    hsize_t n = static_cast<hsize_t>(v->size());
    Hid ds = make_dataset(c, group, name, H5T_IEEE_F64LE, 1, &n, where, true);
    if (n > 0) c.check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v->data()), where, "cannot write");
  } else if (const auto* s = std::get_if<std::vector<std::string>>(&d)) {
    hsize_t n = s->size();
    Hid type = utf8_type(c);
    Hid ds = make_dataset(c, group, name, type.get(), 1, &n, where);
    std::vector<const char*> ptrs;
    for (const auto& x : *s) ptrs.push_back(x.c_str());
    if (n > 0) c.check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), where, "cannot write");
  } else if (const auto* b = std::get_if<std::vector<std::uint8_t>>(&d)) {
    hsize_t n = b->size();
    Hid ds = make_dataset(c, group, name, H5T_STD_U8LE, 1, &n, where, true);
    if (n > 0) c.check(H5Dwrite(ds.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, b->data()), where, "cannot write");
  } else if (const auto* i = std::get_if<std::vector<std::int64_t>>(&d)) {
    hsize_t n = i->size();
    Hid ds = make_dataset(c, group, name, H5T_STD_I64LE, 1, &n, where, true);
    if (n > 0) c.check(H5Dwrite(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, i->data()), where, "cannot write");
  }
}

}  // namespace

// Friend-free access: the writer walks the public interface.
namespace {
void write_group(const Ctx& c, hid_t group, const Archive& a, const std::string& where) {
  for (const auto& name : a.data_names()) {
    const std::string w = join(where, name);
    write_data(c, group, name, a.get(name), w);
  }
  for (const auto& name : a.child_names()) {
    const std::string w = join(where, name);
    Hid g = c.check(H5Gcreate2(group, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, w, "cannot create group");
    write_group(c, g.get(), a.child(name), w);
  }
}
}  // namespace


namespace {

void write_attrs_recursive(const Ctx& c, hid_t file, const Archive& a, const std::string& where) {
  Hid g = c.check(H5Oopen(file, where.empty() ? "/" : where.c_str(), H5P_DEFAULT), H5Oclose, where, "cannot open group");
  for (const auto& name : a.attr_names()) write_attr(c, g.get(), name, a.attr(name), where);
  for (const auto& dname : a.data_names()) {
    const auto anames = a.data_attr_names(dname);
    if (anames.empty()) continue;
    const std::string w = join(where, dname);
    Hid ds = c.check(H5Oopen(file, w.c_str(), H5P_DEFAULT), H5Oclose, w, "cannot open dataset");
    for (const auto& aname : anames) write_strings_attr(c, ds.get(), aname, *a.data_attr(dname, aname), w);
  }
  for (const auto& name : a.child_names()) write_attrs_recursive(c, file, a.child(name), join(where, name));
}

// ---- reading

std::vector<std::string> link_names(const Ctx& c, hid_t group, const std::string& where) {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* op) -> herr_t {
    static_cast<std::vector<std::string>*>(op)->emplace_back(name);
    return 0;
  };
  c.check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names), where, "cannot list group");
  return names;
}

std::vector<std::string> attr_names(const Ctx& c, hid_t obj, const std::string& where) {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5A_info_t*, void* op) -> herr_t {
    static_cast<std::vector<std::string>*>(op)->emplace_back(name);
    return 0;
  };
  c.check(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names), where, "cannot list attributes");
  return names;
}

// Reads a variable-length string array from a dataset or attribute.
std::vector<std::string> read_vlen_strings(const Ctx& c, hid_t obj, bool is_attr, hid_t file_type, hsize_t n,
                                           const std::string& where) {
  if (!H5Tis_variable_str(file_type)) {
    // Fixed-length strings (e.g. written by other tools): read into a padded buffer.
    const std::size_t len = H5Tget_size(file_type);
    if (len == 0) c.fail(where, "string type of size 0");
    Hid mem = c.check(H5Tcopy(H5T_C_S1), H5Tclose, where, "H5Tcopy failed");
    c.check(H5Tset_size(mem.get(), len), where, "H5Tset_size failed");
    std::vector<char> buf(len * std::max<hsize_t>(n, 1));
    if (n > 0) {
      const herr_t rc = is_attr ? H5Aread(obj, mem.get(), buf.data()) : H5Dread(obj, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
      c.check(rc, where, "cannot read strings");
    }
    std::vector<std::string> out;
    for (hsize_t i = 0; i < n; ++i) {
      const char* p = buf.data() + i * len;
      out.emplace_back(p, strnlen(p, len));
    }
    return out;
  }
  Hid mem = utf8_type(c);
  std::vector<char*> ptrs(std::max<hsize_t>(n, 1), nullptr);
  std::vector<std::string> out;
  if (n == 0) return out;
  const herr_t rc = is_attr ? H5Aread(obj, mem.get(), ptrs.data()) : H5Dread(obj, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
  if (rc < 0) c.fail(where, "cannot read strings");
  for (hsize_t i = 0; i < n; ++i) out.emplace_back(ptrs[i] ? ptrs[i] : "");
  Hid space = c.check(is_attr ? H5Aget_space(obj) : H5Dget_space(obj), H5Sclose, where, "cannot get dataspace");
  H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return out;
}

std::vector<hsize_t> dims_of(const Ctx& c, hid_t space, const std::string& where) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) c.fail(where, "cannot get rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) c.fail(where, "cannot get dimensions");
  return dims;
}

Archive::Attr read_group_attr(const Ctx& c, hid_t a, const std::string& where) {
  Hid type = c.check(H5Aget_type(a), H5Tclose, where, "cannot get attribute type");
  Hid space = c.check(H5Aget_space(a), H5Sclose, where, "cannot get attribute space");
  const auto dims = dims_of(c, space.get(), where);
  hsize_t n = 1;
  for (auto d : dims) n *= d;
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER: {
      if (n != 1) c.fail(where, "expected a scalar integer attribute");
      std::int64_t v = 0;
      c.check(H5Aread(a, H5T_NATIVE_INT64, &v), where, "cannot read attribute");
      return v;
    }
    case H5T_FLOAT: {
      if (n != 1) c.fail(where, "expected a scalar float attribute");
      double v = 0;
      c.check(H5Aread(a, H5T_NATIVE_DOUBLE, &v), where, "cannot read attribute");
      return v;
    }
    case H5T_STRING: {
      auto s = read_vlen_strings(c, a, true, type.get(), n, where);
      if (s.size() != 1) c.fail(where, "expected a scalar string attribute");
      return s[0];
    }
    default:
      c.fail(where, "attribute of an unsupported type");
  }
}

Archive::Data read_dataset(const Ctx& c, hid_t ds, const std::string& where) {
  Hid type = c.check(H5Dget_type(ds), H5Tclose, where, "cannot get dataset type");
  Hid space = c.check(H5Dget_space(ds), H5Sclose, where, "cannot get dataset space");
  const auto dims = dims_of(c, space.get(), where);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls == H5T_FLOAT && dims.size() == 2) {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm(static_cast<Eigen::Index>(dims[0]),
                                                                               static_cast<Eigen::Index>(dims[1]));
    if (rm.size() > 0) c.check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rm.data()), where, "cannot read");
    return Eigen::MatrixXd(rm);
  }
  if (dims.size() != 1) c.fail(where, "unsupported dataset rank " + std::to_string(dims.size()));
  const hsize_t n = dims[0];
  if (cls == H5T_FLOAT) {
    Eigen::VectorXd v(static_cast<Eigen::Index>(n));
    if (n > 0) c.check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), where, "cannot read");
    return v;
  }
  if (cls == H5T_STRING) return read_vlen_strings(c, ds, false, type.get(), n, where);
  if (cls == H5T_INTEGER) {
    if (H5Tget_size(type.get()) == 1 && H5Tget_sign(type.get()) == H5T_SGN_NONE) {
      std::vector<std::uint8_t> b(n);
      if (n > 0) c.check(H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, b.data()), where, "cannot read");
      return b;
    }
    std::vector<std::int64_t> v(n);
    if (n > 0) c.check(H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), where, "cannot read");
    return v;
  }
  c.fail(where, "dataset of an unsupported type");
}

void read_group(const Ctx& c, hid_t group, Archive& out, const std::string& where) {
  for (const auto& name : attr_names(c, group, where)) {
    const std::string w = join(where, name);
    Hid a = c.check(H5Aopen(group, name.c_str(), H5P_DEFAULT), H5Aclose, w, "cannot open attribute");
    out.set_attr(name, read_group_attr(c, a.get(), w));
  }
  for (const auto& name : link_names(c, group, where)) {
    const std::string w = join(where, name);
    Hid obj = c.check(H5Oopen(group, name.c_str(), H5P_DEFAULT), H5Oclose, w, "cannot open object");
    const H5I_type_t kind = H5Iget_type(obj.get());
    if (kind == H5I_GROUP) {
      read_group(c, obj.get(), out.child(name), w);
    } else if (kind == H5I_DATASET) {
      const Hid& ds = obj;
      out.set(name, read_dataset(c, ds.get(), w));
      for (const auto& aname : attr_names(c, ds.get(), w)) {
        const std::string aw = join(w, aname);
        Hid a = c.check(H5Aopen(ds.get(), aname.c_str(), H5P_DEFAULT), H5Aclose, aw, "cannot open attribute");
        Hid type = c.check(H5Aget_type(a.get()), H5Tclose, aw, "cannot get attribute type");
        if (H5Tget_class(type.get()) != H5T_STRING) continue;  // only string-list attributes are modelled
        Hid space = c.check(H5Aget_space(a.get()), H5Sclose, aw, "cannot get attribute space");
        const auto dims = dims_of(c, space.get(), aw);
        hsize_t n = 1;
        for (auto d : dims) n *= d;
        out.set_data_attr(name, aname, read_vlen_strings(c, a.get(), true, type.get(), n, aw));
      }
    }
  }
}

// ---- integrity header ----------------------------------------------------------------------------
// Every file matopt writes starts with a 512-byte HDF5 user block holding a text header with the
// payload's length and CRC-32. libhdf5 skips the user block, so h5py reads the file unchanged, and
// load_archive can tell an intact file from a damaged one before libhdf5 parses a single byte of it.

constexpr std::size_t kUserBlockBytes = 512;
constexpr std::string_view kHeaderMagic = "MATOPT-ARCHIVE 1\n";

std::string hex32(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

struct PayloadDigest {
  std::uint64_t bytes = 0;
  std::uint32_t crc = 0;
};

PayloadDigest digest_payload(std::istream& in, const Ctx& c) {
  PayloadDigest d;
  std::vector<char> buf(1 << 20);
  in.seekg(static_cast<std::streamoff>(kUserBlockBytes));
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    d.crc = detail::crc32_update(d.crc, buf.data(), got);
    d.bytes += got;
  }
  if (in.bad()) c.fail("", "read error while checking the file");
  return d;
}

void stamp_integrity_header(const std::filesystem::path& file, const Ctx& c) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) c.fail("", "cannot reopen the written file to add its checksum");
  const PayloadDigest d = digest_payload(f, c);
  std::string header(kHeaderMagic);
  header += "payload-bytes " + std::to_string(d.bytes) + "\ncrc32 " + hex32(d.crc) +
            "\nHDF5 file with a 512-byte user block; the CRC-32 (zlib) covers bytes 512 to the end.\n";
  header.resize(kUserBlockBytes, '\0');
  f.clear();
  f.seekp(0);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.flush();
  if (!f) c.fail("", "cannot write the checksum header");
}

enum class Integrity { verified, no_header, mismatch };

struct IntegrityCheck {
  Integrity state = Integrity::no_header;
  std::string detail;
  std::vector<char> image;  // verified: the whole file, as checked (parsed from memory, never reread)
};

/// Reads "KEY <value>\n" at `pos` of the header; false if the line is not exactly that.
bool header_field(std::string_view header, std::size_t& pos, std::string_view key, std::string_view& value) {
  if (header.substr(pos, key.size()) != key || pos + key.size() >= header.size() || header[pos + key.size()] != ' ')
    return false;
  const std::size_t start = pos + key.size() + 1, end = header.find('\n', start);
  if (end == std::string_view::npos) return false;
  value = header.substr(start, end - start);
  pos = end + 1;
  return true;
}

IntegrityCheck check_integrity(const std::filesystem::path& path, const Ctx& c) {
  std::ifstream in(path, std::ios::binary);
  if (!in) c.fail("", "cannot open for reading");
  std::string header(kUserBlockBytes, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  const auto got_header = static_cast<std::size_t>(in.gcount());
  if (got_header < kHeaderMagic.size() || header.compare(0, kHeaderMagic.size(), kHeaderMagic) != 0)
    return {Integrity::no_header, "no matopt checksum header", {}};
  if (got_header < kUserBlockBytes)
    return {Integrity::mismatch, "it is shorter than its own " + std::to_string(kUserBlockBytes) + "-byte header", {}};
  std::size_t pos = kHeaderMagic.size();
  std::string_view bytes_text, crc_text;
  std::uint64_t want_bytes = 0;
  std::uint32_t want_crc = 0;
  const std::string_view h(header);
  const auto parses = [](std::string_view text, auto& out, int base) {
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out, base);
    return !text.empty() && r.ec == std::errc() && r.ptr == text.data() + text.size();
  };
  if (!header_field(h, pos, "payload-bytes", bytes_text) || !header_field(h, pos, "crc32", crc_text) ||
      !parses(bytes_text, want_bytes, 10) || crc_text.size() != 8 || !parses(crc_text, want_crc, 16))
    return {Integrity::mismatch, "its checksum header is damaged", {}};
  in.clear();
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 0) c.fail("", "cannot determine the file's size");
  const auto payload = static_cast<std::uint64_t>(end) - kUserBlockBytes;
  if (payload != want_bytes)
    return {Integrity::mismatch, "it holds " + std::to_string(payload) + " bytes after its header, the header says " +
                                     std::to_string(want_bytes) + " (truncated or appended to)", {}};
  // One read: the bytes that pass the check are the bytes libhdf5 parses, so a file replaced between
  // the check and the parse cannot slip through (and the file is read once, not twice).
  std::vector<char> image(static_cast<std::size_t>(end));
  in.seekg(0);
  in.read(image.data(), static_cast<std::streamsize>(image.size()));
  if (static_cast<std::size_t>(in.gcount()) != image.size())
    return {Integrity::mismatch, "it changed size while it was being checked", {}};
  const std::uint32_t crc = detail::crc32_update(0, image.data() + kUserBlockBytes, image.size() - kUserBlockBytes);
  if (crc != want_crc)
    return {Integrity::mismatch, "its CRC-32 is " + hex32(crc) + ", the header says " + hex32(want_crc), {}};
  return {Integrity::verified, {}, std::move(image)};
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string_view(v) != "0";
}

std::chrono::milliseconds isolated_read_timeout(std::uintmax_t file_bytes) {
  if (const char* v = std::getenv("MATOPT_HDF5_CHECK_TIMEOUT")) {
    char* end = nullptr;
    const double s = std::strtod(v, &end);
    if (end != v && *end == '\0' && s > 0 && s < 1e6) return std::chrono::milliseconds(static_cast<long long>(s * 1000));
  }
  // generous: an intact file reads at hundreds of MB/s, a looping libhdf5 never finishes
  return std::chrono::milliseconds(60'000 + static_cast<long long>(file_bytes / (16u << 20)) * 1000);
}

Archive read_archive_root(const Ctx& c, const Hid& file, const std::string& format, std::int64_t max_version) {
  Archive root;
  try {
    read_group(c, file.get(), root, "");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // e.g. std::length_error from a corrupted dataspace size
    c.fail("", std::string("corrupt file (") + e.what() + ")");
  }
  if (!root.has_attr("format") || !std::holds_alternative<std::string>(root.attr("format")))
    c.fail("", "not a matopt file (no 'format' attribute; expected '" + format + "')");
  if (root.attr_string("format") != format)
    c.fail("", "is a '" + root.attr_string("format") + "' file, expected '" + format + "'");
  if (!root.has_attr("version") || !std::holds_alternative<std::int64_t>(root.attr("version")))
    c.fail("", "has no integer 'version' attribute");
  const std::int64_t v = root.attr_int("version");
  if (v > max_version)
    c.fail("", "format '" + format + "' version " + std::to_string(v) + " is newer than this matopt supports (" +
                   std::to_string(max_version) + "); upgrade matopt");
  if (v < 1) c.fail("", "invalid format version " + std::to_string(v));
  return root;
}

Archive read_archive_file(const Ctx& c, const std::filesystem::path& path, const std::string& format,
                          std::int64_t max_version) {
  if (H5Fis_hdf5(path.c_str()) <= 0) c.fail("", "not an HDF5 file (expected a matopt '" + format + "' file)");
  Hid file = c.check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "", "cannot open HDF5 file (corrupt or truncated?)");
  return read_archive_root(c, file, format, max_version);
}

/// Parses a verified file from its bytes in memory (HDF5 core driver, no backing store).
Archive read_archive_image(const Ctx& c, std::vector<char> image, const std::string& format, std::int64_t max_version) {
  Hid fapl = c.check(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "", "H5Pcreate failed");
  c.check(H5Pset_fapl_core(fapl.get(), std::size_t{1} << 16, 0), "", "cannot set up in-memory reading");
  c.check(H5Pset_file_image(fapl.get(), image.data(), image.size()), "", "cannot hand the file's bytes to libhdf5");
  std::vector<char>().swap(image);  // libhdf5 holds its own copy now
  // The core driver refuses a name that exists on disk and matches open files by name: a name that is
  // no path (its folder does not exist) and unique per call.
  static std::atomic<std::uint64_t> images{0};
  const std::string name = "matopt in-memory image " + std::to_string(images.fetch_add(1)) + "/" + c.file;
  Hid file = c.check(H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, "",
                     "cannot open HDF5 file (corrupt or truncated?)");
  { Hid done = std::move(fapl); }  // its copy of the image is no longer needed
  return read_archive_root(c, file, format, max_version);
}

}  // namespace

void save_archive(const Archive& root, const std::filesystem::path& path, const std::string& format, std::int64_t version) {
  silence_hdf5();
  AtomicFile out(path);
  const Ctx c{path.string()};
  {
    Hid fcpl = c.check(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "", "H5Pcreate failed");
    c.check(H5Pset_userblock(fcpl.get(), kUserBlockBytes), "", "cannot reserve the checksum header");
    Hid file = c.check(H5Fcreate(out.temp_path().c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), H5Fclose, "",
                       "cannot create HDF5 file (check the folder exists and is writable)");
    write_group(c, file.get(), root, "");
    write_attrs_recursive(c, file.get(), root, "");
    Hid g = c.check(H5Oopen(file.get(), "/", H5P_DEFAULT), H5Oclose, "", "cannot open root");
    for (const char* n : {"format", "version"})
      if (H5Aexists(g.get(), n) > 0) H5Adelete(g.get(), n);
    write_string_attr(c, g.get(), "format", format, "");
    write_attr(c, g.get(), "version", Archive::Attr(version), "");
    c.check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "", "cannot flush HDF5 file");
  }
  if (H5Fis_hdf5(out.temp_path().c_str()) <= 0) c.fail("", "written file does not validate as HDF5");
  stamp_integrity_header(out.temp_path(), c);
  out.commit();
}

namespace {

/// A private (0700) temporary directory for the checked copy, removed with everything in it.
struct ScratchDir {
  std::filesystem::path dir;
  explicit ScratchDir(const Ctx& c) {
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) c.fail("", "no temporary directory to check this file in (" + ec.message() + "); set TMPDIR");
    std::string templ = (base / "matopt-check-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr)
      c.fail("", "cannot create a temporary directory in " + base.string() + " to check this file: " + std::strerror(errno));
    dir = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

// libhdf5 1.10 can crash, corrupt memory or loop forever on damaged files (see docs/reliability.md),
// so a file whose bytes we cannot vouch for (no checksum header: written by another program or by an
// older matopt) is parsed in a child process, which writes a fresh, checksummed copy of what it read.
// This process only ever parses that copy; a crash or hang stays in the child.
Archive load_unverified(const Ctx& c, const std::filesystem::path& path, const std::string& format,
                        std::int64_t max_version, const std::string& why) {
  log_debug(path.string() + ": " + why + "; parsing it in a child process");
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  const std::size_t file_bytes = ec ? 0 : static_cast<std::size_t>(size);
  const ScratchDir scratch(c);
  const std::filesystem::path copy = scratch.dir / "checked.h5";
  // The first byte of the child's answer keeps the error's type across the process boundary.
  const auto outcome = detail::run_isolated(
      [&]() -> std::string {
        try {
          const Archive root = read_archive_file(c, path, format, max_version);
          save_archive(root, copy, format, root.attr_int("version"));
          return "ok";
        } catch (const DataError& e) {
          return std::string("D") + e.what();
        } catch (const InvalidArgument& e) {
          return std::string("A") + e.what();
        } catch (const Error& e) {
          return std::string("I") + e.what();
        } catch (const std::exception& e) {  // e.g. bad_alloc under the child's memory cap
          return "I" + path.string() + ": corrupt file (" + e.what() + ")";
        }
      },
      isolated_read_timeout(file_bytes), (std::size_t{4} << 30) + 16 * file_bytes);
  if (outcome.kind != detail::IsolatedOutcome::Kind::finished)
    c.fail("", "is corrupt: libhdf5 " + outcome.describe() +
                   " while reading it in a child process (libhdf5 1.10 crashes or loops on some damaged files); "
                   "nothing else was affected");
  if (outcome.output.empty()) c.fail("", "is corrupt: reading it in a child process produced no result");
  const std::string message = outcome.output.substr(1);
  switch (outcome.output[0]) {
    case 'D': throw DataError(message);
    case 'A': throw InvalidArgument(message);
    case 'I': throw IOError(message);
    default: break;
  }
  IntegrityCheck checked = check_integrity(copy, c);
  if (checked.state != Integrity::verified) c.fail("", "the checked copy of this file is damaged");
  return read_archive_image(c, std::move(checked.image), format, max_version);
}

}  // namespace

Archive load_archive(const std::filesystem::path& path, const std::string& format, std::int64_t max_version) {
  silence_hdf5();
  const Ctx c{path.string()};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) c.fail("", "no such file");
  if (std::filesystem::is_directory(path, ec)) c.fail("", "is a directory, expected an HDF5 file");
  IntegrityCheck integrity = check_integrity(path, c);
  if (integrity.state == Integrity::mismatch) {
    if (!env_flag("MATOPT_IGNORE_CHECKSUM"))
      c.fail("", "is damaged: " + integrity.detail +
                     ". It changed after matopt wrote it (disk or copy error, or an edit by another program); restore "
                     "it from a backup, or set MATOPT_IGNORE_CHECKSUM=1 to try reading it anyway");
    log_warn(path.string() + ": " + integrity.detail + "; reading it anyway (MATOPT_IGNORE_CHECKSUM is set)");
  }
  if (integrity.state != Integrity::verified) {
    // Debugging and fuzzing matopt's own reader (sanitizers and coverage see only this process).
    if (env_flag("MATOPT_ARCHIVE_IN_PROCESS")) return read_archive_file(c, path, format, max_version);
    return load_unverified(c, path, format, max_version, integrity.detail);
  }
  return read_archive_image(c, std::move(integrity.image), format, max_version);
}

}  // namespace matopt
