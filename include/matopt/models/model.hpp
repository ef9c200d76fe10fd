// SPDX-License-Identifier: MIT
/// @file
/// @brief A trained model bundle: the feature pipeline, one surrogate per target (fitted together)
/// and a per-target std recalibration, saved as one HDF5 file (format "matopt-model", version 1).
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "matopt/core/dataset.hpp"
#include "matopt/featurize/pipeline.hpp"
#include "matopt/models/calibration.hpp"
#include "matopt/models/surrogate.hpp"

namespace matopt {

class ApplicabilityDomain;

struct ModelOptions {
  /// Surrogate registry name: "auto" (the auto engine, docs/auto.md), "gp", "ensemble", "forest" or
  /// "boost".
  std::string model = "auto";
  /// Surrogate options as JSON text (AutoOptions keys for "auto", GPOptions keys for "gp", see
  /// docs/models.md). With "auto" each candidate reads its own feature set: the pipeline then holds
  /// their union and `features.features` is not used.
  std::string surrogate_options;
  PipelineOptions features;
  /// With "auto": one feature spec every default candidate reads instead of its own (`--features`);
  /// "" = each its own. A "features" key in surrogate_options as well is an InvalidArgument.
  std::string auto_features;
  /// Fit σ' = a·σ + b per target on cross-validation residuals.
  bool calibrate = false;
  int calibration_folds = 5;
  std::uint64_t seed = 0;
};

/// @brief Per-target settings and calibration as stored in the file.
struct TargetInfo {
  std::string name;
  bool classification = false;  ///< boolean target: mean() is P(y = 1), clipped to [0, 1]
  StdCalibration calibration;
  std::size_t training_rows = 0;  ///< rows with a value for this target
};

class Model {
 public:
  Model();
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  /// @brief Fits the pipeline on `data`, then one surrogate per target on the rows where that target
  /// is present (rows with a missing target value are skipped for that target only).
  /// Boolean targets: with "ensemble" the classification variant; with "gp" GP regression on 0/1
  /// whose mean is clipped to [0, 1]. Throws InvalidArgument for unknown targets or options,
  /// DataError for a target with no values or non-finite features.
  static Model train(const Dataset& data, const std::vector<std::string>& targets, const ModelOptions& options = {});

  /// @brief Per-target predictions (in `targets()` order) for every row of `data`, recalibrated.
  std::vector<Prediction> predict(const Dataset& data) const;
  /// @brief The pipeline's features of `data` (rows x pipeline().labels()), what predict() and
  /// domain() read. Throws DataError naming the row and column of a non-finite feature.
  Eigen::MatrixXd features(const Dataset& data) const;
  /// @brief Same on an already featurized matrix (columns = pipeline().labels()).
  std::vector<Prediction> predict_features(const Eigen::MatrixXd& X) const;

  const std::vector<TargetInfo>& targets() const noexcept;
  const Pipeline& pipeline() const noexcept;
  const Surrogate& surrogate(std::size_t target) const;
  const ModelOptions& options() const noexcept;
  /// @brief Composition and process column names the pipeline was trained with (for reading inputs).
  const std::string& composition_column() const noexcept;
  const std::vector<std::string>& process_columns() const noexcept;

  /// @brief The applicability domain of the training rows in the pipeline's features
  /// (models/domain.hpp); null for model files written before it existed.
  const ApplicabilityDomain* domain() const noexcept;
  /// @brief Writes the bundle atomically. Throws IOError.
  void save(const std::filesystem::path& path) const;
  /// @brief Reads a file written by save(). Throws IOError on a foreign, corrupt or newer file.
  static Model load(const std::filesystem::path& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// @brief How to read rows for `model` (predict, explain, Python): its composition column (or none)
/// and its process columns, `id` as the row-id column when given.
CsvImportOptions model_input_options(const Model& model, const std::optional<std::string>& id = std::nullopt);

/// @brief The columns `matopt predict` writes (and the Python module returns), per target, in order:
/// `_mean`, `_std` (the predictive distribution's exact moments), `_epistemic_std`, `_aleatoric_std`
/// (σ split in the model's own proportions), `_median`, `_q05`, `_q95`; then, where the model has
/// them, `_conformal_lower`, `_conformal_upper` (the auto engine, regression), `_p_positive` (a
/// hurdle: P(y > 0)); classification adds `_probability` (P(y = 1)) and `_label` (1 when the
/// probability reaches the model's decision threshold). Last, once per row, `domain_score` and
/// `in_domain` (1 when the score is at most the domain's threshold) when the model has a domain.
/// See docs/models.md.
struct PredictionTable {
  std::vector<std::string> columns;
  Eigen::MatrixXd values;  ///< rows x columns
};

/// @brief Predicts `data` with `model` and lays the predictions out as PredictionTable says.
/// `with_domain` false leaves out the domain columns (they cost one distance per row and stored
/// training row; `predict --no-domain`).
PredictionTable prediction_table(const Model& model, const Dataset& data, bool with_domain = true);

}  // namespace matopt
