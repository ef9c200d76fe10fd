// SPDX-License-Identifier: MIT
/// @file
/// @brief The surrogate-model interface shared by the Gaussian process and the deep ensemble.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>

namespace matopt {

class Archive;
struct PredictiveDistribution;

/// @brief Predictive distribution at n points, in the target's original units.
/// variance = epistemic_variance + aleatoric_variance.
struct Prediction {
  Eigen::VectorXd mean;
  Eigen::VectorXd variance;
  Eigen::VectorXd epistemic_variance;  ///< model (reducible) uncertainty
  Eigen::VectorXd aleatoric_variance;  ///< noise (irreducible) uncertainty
  /// The full predictive distribution of each row when it is not Gaussian or is recalibrated (the
  /// auto engine sets it; see distribution.hpp); null: N(mean, variance). mean and variance are then
  /// its summary (PredictiveDistribution::summarize).
  std::shared_ptr<const PredictiveDistribution> distribution;
  /// Conformal interval bounds per row (the auto engine, regression); empty when not computed.
  Eigen::VectorXd conformal_lower, conformal_upper;

  Eigen::Index size() const noexcept { return mean.size(); }
  Eigen::VectorXd std() const { return variance.cwiseMax(0.0).cwiseSqrt(); }
};

/// @brief A probabilistic regression model y = f(x) + noise on a feature matrix (rows = samples).
///
/// Implementations standardize inputs and outputs internally and return predictions in original
/// units. Same data + same seed gives bit-identical predictions.
class Surrogate {
 public:
  virtual ~Surrogate() = default;

  /// @brief "gp" or "ensemble" (the registry name).
  virtual std::string kind() const = 0;

  /// @brief Fits to X (n x d) and y (n). `noise_variance`, if non-empty, gives a known measurement
  /// noise variance per row (original units); models that cannot use it ignore it with a log line.
  /// Throws DataError on NaN/Inf or mismatched sizes.
  virtual void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                   const Eigen::VectorXd& noise_variance = Eigen::VectorXd()) = 0;

  /// @brief Marginal predictions at the rows of X.
  virtual Prediction predict(const Eigen::MatrixXd& X) const = 0;

  /// @brief Joint posterior samples of the latent function at the rows of X:
  /// returns an (n_samples x n) matrix, reproducible from `seed`.
  virtual Eigen::MatrixXd sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const = 0;

  /// @brief Serializes the fitted state (hyperparameters, scalers, training data or weights).
  virtual void save(Archive& out) const = 0;
  /// @brief Restores the state written by save().
  virtual void load(const Archive& in) = 0;

  virtual bool is_fitted() const noexcept = 0;
  virtual std::unique_ptr<Surrogate> clone() const = 0;

  /// @brief Rows that describe the input domain the model will be asked about (the candidate pool,
  /// or samples of the design space), same columns as X. Models that scale their inputs then take the
  /// per-column scale from these rows instead of from the training rows, which with a handful of
  /// measurements are a poor and unstable estimate of it. Applies to later fit() calls; an empty
  /// matrix restores training-row scaling. Default: ignored. (Added in 0.2, after the older virtuals,
  /// so that their vtable slots stay where they were.)
  virtual void set_input_reference(const Eigen::MatrixXd& reference) { (void)reference; }
};

/// @brief Creates an unfitted surrogate by registry name ("gp", "ensemble") from JSON options text
/// (may be empty for defaults). Throws InvalidArgument listing the valid names.
std::unique_ptr<Surrogate> make_surrogate(const std::string& kind, const std::string& options_json = "",
                                          std::uint64_t seed = 0);

/// @brief Loads any surrogate saved with save() (the archive records its kind).
std::unique_ptr<Surrogate> load_surrogate(const Archive& in);

}  // namespace matopt
