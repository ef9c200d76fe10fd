// SPDX-License-Identifier: MIT
/// @file
/// @brief Archive: an in-memory tree of named arrays, strings and numbers that maps one-to-one onto an
/// HDF5 file (groups, datasets, attributes). Models, datasets and campaigns serialize through it, so
/// HDF5 stays a private dependency and every file is readable from h5py.
///
/// Mapping: a node is an HDF5 group; `matrix`/`vector`/`strings`/`bytes` entries are datasets
/// (matrices row-major [rows, cols] as h5py shows them; strings variable-length UTF-8; bytes uint8);
/// scalar `attr`s are attributes of the group. Paths use '/' to address nested nodes.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace matopt {

class Archive {
 public:
  using Attr = std::variant<std::int64_t, double, std::string>;
  using Data = std::variant<Eigen::MatrixXd, Eigen::VectorXd, std::vector<std::string>,
                            std::vector<std::uint8_t>, std::vector<std::int64_t>>;

  Archive();
  Archive(const Archive&);
  Archive& operator=(const Archive&);
  Archive(Archive&&) noexcept;
  Archive& operator=(Archive&&) noexcept;
  ~Archive();

  /// @brief Child group, created if absent. `path` may contain '/'.
  Archive& child(const std::string& path);
  /// @brief Existing child group; throws IOError naming the missing path.
  const Archive& child(const std::string& path) const;
  bool has_child(const std::string& path) const;
  std::vector<std::string> child_names() const;

  void set(const std::string& name, Data value);
  bool has(const std::string& name) const;
  const Data& get(const std::string& name) const;  ///< throws IOError naming the entry
  std::vector<std::string> data_names() const;

  const Eigen::MatrixXd& matrix(const std::string& name) const;
  const Eigen::VectorXd& vector(const std::string& name) const;
  const std::vector<std::string>& strings(const std::string& name) const;
  const std::vector<std::uint8_t>& bytes(const std::string& name) const;
  const std::vector<std::int64_t>& integers(const std::string& name) const;

  /// @brief Attributes on a data entry (e.g. the element symbols of a fraction matrix).
  void set_data_attr(const std::string& data_name, const std::string& attr, std::vector<std::string> value);
  const std::vector<std::string>* data_attr(const std::string& data_name, const std::string& attr) const;
  /// @brief Names of the attributes set on a data entry, sorted.
  std::vector<std::string> data_attr_names(const std::string& data_name) const;

  void set_attr(const std::string& name, Attr value);
  bool has_attr(const std::string& name) const;
  const Attr& attr(const std::string& name) const;  ///< throws IOError naming the attribute
  std::int64_t attr_int(const std::string& name) const;
  double attr_double(const std::string& name) const;
  const std::string& attr_string(const std::string& name) const;
  /// @brief Names of this group's scalar attributes, sorted.
  std::vector<std::string> attr_names() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// @brief Writes `root` as an HDF5 file with root attributes `format` and `version`, atomically
/// (temporary file + rename): the target holds the old or the new content, never a mix.
void save_archive(const Archive& root, const std::filesystem::path& path, const std::string& format,
                  std::int64_t version);

/// @brief Reads a file written by save_archive. Throws IOError if the file is missing, not HDF5,
/// corrupt, of another `format`, or of a `version` newer than `max_version`.
Archive load_archive(const std::filesystem::path& path, const std::string& format, std::int64_t max_version);

}  // namespace matopt
