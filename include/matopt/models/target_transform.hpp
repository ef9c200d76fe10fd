// SPDX-License-Identifier: MIT
/// @file
/// @brief Target transforms as model wrappers (like BoTorch's outcome transforms): a surrogate fitted
/// to g(y) whose predictions are mapped back to a predictive distribution of y.
///
/// - none: y ~ N(μ, σ²) from the surrogate itself;
/// - log1p: the surrogate models log(1 + y) (targets >= 0): a log1p-normal distribution;
/// - hurdle: for zero-inflated targets (band gaps: exactly 0 for every metal). A gate models the label
///   1{y > 0}, the surrogate models log(1 + y) on the rows with y > 0 only: y = 0 with probability
///   1 − P(y > 0), else log1p-normal.
/// Classification (a 0/1 target) has no transform: the model's P(y = 1) is a Bernoulli distribution.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "matopt/models/distribution.hpp"
#include "matopt/models/surrogate.hpp"

namespace matopt {

class Archive;

enum class TargetTransform { None, Log1p, Hurdle };

/// @brief "none", "log1p" or "hurdle".
std::string to_string(TargetTransform t);
/// @brief The inverse of to_string; InvalidArgument naming the valid names otherwise.
TargetTransform parse_target_transform(const std::string& name);

/// @brief One candidate of the auto engine: a model on a feature set with a target transform.
struct CandidateSpec {
  std::string model = "forest";  ///< surrogate registry name: gp, forest, boost or ensemble
  std::string options;           ///< the surrogate's JSON options ("" = its defaults)
  /// Feature spec the candidate reads (featurizers joined by '+'); "" = every column it is given.
  /// Model::train resolves it to `columns`.
  std::string features;
  std::vector<Eigen::Index> columns;  ///< columns of the input matrix it uses (empty = all)
  TargetTransform transform = TargetTransform::None;
  /// Hurdle only: P(y > 0) from the candidate's own model of the label ("model"), or from the
  /// equal-weight pool of a GP of the label and a deep-ensemble classifier ("pool").
  std::string gate = "model";
  std::string gate_options;  ///< "pool" gate: the deep-ensemble classifier's JSON options

  /// @brief A readable name: "forest+hurdle [magpie]" (features shown when `with_features`); a
  /// regression candidate always names its transform ("gp+none"), a classifier has none ("gp").
  std::string name(bool with_features, bool classification = false) const;
};

/// @brief A candidate's prediction: the predictive distribution of y plus, for models of a 0/1 label
/// (classification, the hurdle's gate), the label-mean margin (mean − ½) that Platt scaling maps
/// to a calibrated probability.
struct TransformedPrediction {
  PredictiveDistribution distribution;
  Eigen::VectorXd margin;
  /// Share of the main surrogate's variance that is epistemic, per row (1 where it reports none).
  Eigen::VectorXd epistemic_fraction;
};

/// @brief A candidate fitted: one surrogate (two or three for the hurdle) on transformed targets.
class TransformedModel {
 public:
  TransformedModel();
  /// @brief `classification`: y is a 0/1 label (no transform allowed). Seeds derive from `seed`.
  TransformedModel(CandidateSpec spec, bool classification, std::uint64_t seed);
  ~TransformedModel();
  TransformedModel(TransformedModel&&) noexcept;
  TransformedModel& operator=(TransformedModel&&) noexcept;
  TransformedModel(const TransformedModel&);
  TransformedModel& operator=(const TransformedModel&);

  /// @brief Fits on the rows of X (all columns: the caller selects the candidate's columns).
  /// `hyper`: a fit of the same candidate whose GP hyperparameters are reused (cheap inner CV);
  /// other models are refitted from scratch. DataError: log1p/hurdle with a target < 0, a hurdle with
  /// fewer than 2 targets > 0.
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const TransformedModel* hyper = nullptr);
  TransformedPrediction predict(const Eigen::MatrixXd& X) const;
  /// @brief The main surrogate's own prediction (of y, log(1 + y), or the 0/1 label).
  Prediction predict_main(const Eigen::MatrixXd& X) const;
  /// @brief Joint latent samples of the main surrogate (transformed space), see Surrogate::sample_joint.
  Eigen::MatrixXd sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const;
  /// @brief Forwards Surrogate::set_input_reference to every surrogate.
  void set_input_reference(const Eigen::MatrixXd& reference);

  const CandidateSpec& spec() const noexcept { return spec_; }
  bool classification() const noexcept { return classification_; }
  bool is_fitted() const noexcept { return main_ != nullptr && main_->is_fitted(); }

  void save(Archive& out) const;
  static TransformedModel load(const Archive& in);

 private:
  CandidateSpec spec_;
  bool classification_ = false;
  std::uint64_t seed_ = 0;
  std::unique_ptr<Surrogate> main_, gate_, classifier_;
  Eigen::MatrixXd reference_;
};

}  // namespace matopt
