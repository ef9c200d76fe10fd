// SPDX-License-Identifier: MIT
/// @file
/// @brief Exact Gaussian-process regression (Eigen only) with ARD stationary kernels, hyperparameters
/// fitted by maximizing the log marginal likelihood (analytic gradients, bounded L-BFGS, multi-start).
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "matopt/models/surrogate.hpp"

namespace matopt {

/// @brief Stationary kernel families; all use ARD length scales on standardized inputs.
enum class KernelType { RBF, Matern12, Matern32, Matern52 };

/// @brief "rbf", "matern12", "matern32", "matern52".
std::string_view to_string(KernelType kernel) noexcept;
/// @brief Inverse of to_string; throws InvalidArgument listing the valid names.
KernelType kernel_from_string(std::string_view name);

/// @brief Gaussian-process options (JSON keys have the same names; see docs/models.md).
struct GPOptions {
  KernelType kernel = KernelType::Matern52;
  /// Optimizer starts: the first from a data-independent default, the others randomized from the seed.
  int restarts = 2;
  /// L-BFGS iterations per start.
  int max_iterations = 80;
  /// Hyperparameters are optimized on a random subset of at most this many rows (seeded), then the
  /// posterior uses every row. 0 = always optimize on all rows.
  int optimize_subset = 1000;
  /// Exact GP limit. Above it, `large_n` decides: "subset" keeps a seeded random subset of
  /// `max_exact` rows (logged at warn level), "error" throws InvalidArgument.
  int max_exact = 5000;
  std::string large_n = "subset";
  /// Threads for multi-start and prediction; 0 = hardware concurrency.
  int threads = 0;
  /// When false the hyperparameters below are used as given (standardized units).
  bool optimize = true;
  /// Weak Gamma(1.1, 0.05) prior on the standardized noise variance during optimization (MAP rather
  /// than maximum likelihood); false = plain maximum marginal likelihood.
  bool noise_prior = true;
  /// Which noise prior when noise_prior is on: "gamma" (Gamma(a, b) on the noise variance; default
  /// 1.1, 0.05) or "lognormal" (N(a, b²) on its log; e.g. -4, 1 favours small noise).
  std::string noise_prior_kind = "gamma";
  double noise_prior_a = 1.1, noise_prior_b = 0.05;
  /// Prior on every length scale (standardized input units) during optimization: "none", "gamma"
  /// (Gamma(a, b) on l) or "lognormal" (N(a + 0.5 log d, b^2) on log l, d = active input columns).
  /// With few points per dimension, maximum likelihood often sends the length scales of weakly
  /// visible inputs to their upper bound, so the model ignores them; a prior keeps them finite.
  std::string length_scale_prior = "none";
  double length_scale_prior_a = 0.0, length_scale_prior_b = 0.0;
  /// Fixed hyperparameters (used when optimize = false; also the first start when non-empty).
  /// length_scales: one per input column (or one value for all); variances in standardized y units.
  std::vector<double> length_scales;
  double signal_variance = 1.0;
  double noise_variance = 0.1;
  /// Log-space bounds (standardized units).
  double min_length_scale = 1e-2, max_length_scale = 1e3;
  double min_signal_variance = 1e-3, max_signal_variance = 1e2;
  double min_noise_variance = 1e-6, max_noise_variance = 10.0;

  /// @brief Parses JSON text (empty = defaults); unknown keys throw InvalidArgument listing valid ones.
  static GPOptions from_json(const std::string& json);
  std::string to_json() const;
  /// @brief Throws InvalidArgument naming the first invalid field (from_json and the GaussianProcess
  /// constructor call it).
  void validate() const;
};

/// @brief GP options JSON for campaigns, which fit their first models on a handful of rows:
/// `options_json` plus, where it does not set them, log noise variance ~ N(-4, 1) and length scales
/// ~ Gamma(3, 1.73) (standardized units). With the plain defaults such fits often explain every row as
/// noise or drop inputs (length scale at its bound); see docs/campaign.md. Throws InvalidArgument if
/// `options_json` is not a JSON object.
std::string gp_options_with_few_point_priors(const std::string& options_json);

/// @brief Exact GP regression. Inputs are standardized per column (by the training rows, or by the
/// rows given to set_input_reference; constant columns are dropped),
/// outputs standardized; epistemic variance = latent posterior variance, aleatoric = noise variance.
class GaussianProcess final : public Surrogate {
 public:
  explicit GaussianProcess(GPOptions options = {}, std::uint64_t seed = 0);
  ~GaussianProcess() override;
  GaussianProcess(const GaussianProcess&);
  GaussianProcess& operator=(const GaussianProcess&);

  std::string kind() const override { return "gp"; }
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
           const Eigen::VectorXd& noise_variance = Eigen::VectorXd()) override;
  Prediction predict(const Eigen::MatrixXd& X) const override;
  Eigen::MatrixXd sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const override;
  /// Inputs are then centred and scaled by the reference rows' column means and standard deviations;
  /// columns constant there fall back to the training rows' statistics (dropped if constant in both).
  void set_input_reference(const Eigen::MatrixXd& reference) override;
  void save(Archive& out) const override;
  void load(const Archive& in) override;
  bool is_fitted() const noexcept override;
  std::unique_ptr<Surrogate> clone() const override;

  const GPOptions& options() const noexcept { return options_; }
  /// @brief Fitted length scales, one per input column of the original X (standardized units;
  /// +inf for dropped constant columns).
  Eigen::VectorXd length_scales() const;
  /// @brief Fitted signal and noise variances in standardized y units.
  double signal_variance() const;
  double noise_variance() const;
  /// @brief Log marginal likelihood of the fitted model on its (standardized) training data.
  double log_marginal_likelihood() const;
  /// @brief Jitter that was added to the kernel diagonal in the final Cholesky (0 if none).
  double jitter() const;
  /// @brief One-line description of the fitted hyperparameters (for -v logs).
  std::string describe() const;

  /// @brief Log marginal likelihood and its gradient for log-hyperparameters
  /// theta = [log l_1..log l_d, log signal_var, log noise_var] on already standardized data Z, t
  /// (for tests and the optimizer). `known_noise` (may be empty) is added to the diagonal.
  /// Returns -inf if the kernel matrix is not positive definite even with jitter.
  static double lml_and_gradient(KernelType kernel, const Eigen::MatrixXd& Z, const Eigen::VectorXd& t,
                                 const Eigen::VectorXd& known_noise, const Eigen::VectorXd& theta,
                                 Eigen::VectorXd* gradient);

  struct State;

 private:
  GPOptions options_;
  std::uint64_t seed_;
  Eigen::VectorXd ref_mean_, ref_scale_;  // from set_input_reference (empty = training rows)
  std::unique_ptr<State> state_;
};

}  // namespace matopt
