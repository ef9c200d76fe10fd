// SPDX-License-Identifier: MIT
/// @file
/// @brief Feature pipelines: composition featurizers plus process-column encoders, fitted on
/// training data and saved with every model so predictions use the training-time definition.
#pragma once

#include <Eigen/Core>

#include <memory>
#include <string>
#include <vector>

#include "matopt/core/dataset.hpp"

namespace matopt {

class Archive;

/// @brief Options for building a pipeline.
struct PipelineOptions {
  /// Composition featurizers joined by '+', e.g. "magpie+stoichiometry+valence_orbital";
  /// empty or "none" for none.
  std::string features = "magpie";
  /// Magpie: impute missing elemental values with the property mean (true) or keep NaN (false).
  bool impute_missing = true;
  /// `alloy`: missing element or pair data throws DataError naming it instead of giving NaN.
  bool strict_missing = false;
  /// Process columns to log-scale (must be > 0).
  std::vector<std::string> log_columns;
  /// Use the dataset's process columns as features.
  bool use_process = true;
  /// `fractions`: fixed element symbols; empty = the training set's elements.
  std::vector<std::string> elements;
  /// Worker threads for transform (0 = all hardware threads); the output does not depend on it.
  unsigned threads = 0;
};

/// @brief Maps a Dataset to a numeric feature matrix (rows x n_features).
class Pipeline {
 public:
  Pipeline();
  explicit Pipeline(PipelineOptions options);
  Pipeline(const Pipeline&);
  Pipeline& operator=(const Pipeline&);
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  /// @brief Fits data-dependent parts on training data only (element list of `fractions`, process
  /// scaling statistics, category lists). Throws DataError on bad columns.
  void fit(const Dataset& train);
  /// @brief Features of every row. Unseen elements/categories are DataErrors naming row and value.
  Eigen::MatrixXd transform(const Dataset& data) const;
  Eigen::MatrixXd fit_transform(const Dataset& train);

  std::vector<std::string> labels() const;
  std::size_t size() const;
  bool is_fitted() const noexcept;
  const PipelineOptions& options() const noexcept;

  /// @brief JSON description of the fitted pipeline (featurizers, element list, scalers, categories).
  std::string to_json() const;
  static Pipeline from_json(const std::string& json);

  void save(Archive& out) const;
  static Pipeline load(const Archive& in);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// @brief Registered composition featurizers with their feature counts (for `featurize --list`);
/// the count of `fractions` is 0 because it depends on the fitted element list.
std::vector<std::pair<std::string, std::size_t>> list_featurizers();

}  // namespace matopt
