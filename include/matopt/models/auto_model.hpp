// SPDX-License-Identifier: MIT
/// @file
/// @brief The auto engine (registry name "auto"): chooses among candidates — (model, feature set,
/// target transform) triples — by inner cross-validation on the training rows, considers the
/// equal-weight pool of the best ones, recalibrates the chosen predictive distribution on the
/// inner-CV predictions (σ, P(y > 0) or P(y = 1), then quantiles), adds conformal intervals and, for
/// classification, chooses the decision threshold. See docs/auto.md.
///
/// @code
///   matopt::ModelOptions o;            // o.model is "auto" by default
///   matopt::Model m = matopt::Model::train(data, {"y"}, o);
///   matopt::Prediction p = m.predict(test)[0];
///   double lo = p.conformal_lower[0], hi = p.conformal_upper[0];
/// @endcode
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "matopt/models/calibration.hpp"
#include "matopt/models/conformal.hpp"
#include "matopt/models/selection.hpp"
#include "matopt/models/surrogate.hpp"
#include "matopt/models/target_transform.hpp"

namespace matopt {

/// @brief A candidate as the options name it: `transform` "" takes AutoOptions::transform.
struct AutoCandidate {
  std::string model;
  std::string options;   ///< the surrogate's JSON options
  std::string features;  ///< feature spec ("" = every column the engine is given)
  std::string transform;  ///< "", "none", "log1p", "hurdle" or "auto"
};

struct AutoOptions {
  /// Candidates; empty = default_candidates() for the training rows (see docs/auto.md).
  std::vector<AutoCandidate> candidates;
  /// Regression: "none", "log1p", "hurdle" or "auto" (none, plus log1p when every target is >= 0,
  /// plus the hurdle when at least 5 % of the targets are exactly 0 and none is negative).
  std::string transform = "auto";
  int inner_folds = 3;  ///< 0: no inner CV (one candidate only, no recalibration, no conformal interval)
  std::size_t pool = 3;  ///< consider the pool of the best `pool` candidates of the best one's transform (< 2: never)
  bool inner_refit = true;  ///< GP candidates refit their hyperparameters in every inner split (honest scores)
  bool recalibrate = true;  ///< σ' = a·σ + b and Platt scaling of probabilities on the inner-CV predictions
  bool quantile_recalibration = true;  ///< regression: then quantile recalibration of the whole distribution
  double conformal_coverage = 0.9;  ///< nominal coverage of the conformal interval (0: none)
  bool choose_threshold = true;  ///< classification: decision threshold chosen on inner CV (else ½)
  /// Hurdle candidates' P(y > 0): "model", "pool" (GP + deep-ensemble classifier) or "auto" (both).
  std::string hurdle_gate = "model";
  std::string gate_options;  ///< the pooled gate's deep-ensemble classifier options
  bool classification = false;  ///< the target is a 0/1 label
  int threads = 0;  ///< threads each candidate model may use (0 = its default; explicit options win)
  /// JSON options of the default candidates' GP ("" = its defaults).
  std::string gp_options;
  /// Feature spec every default candidate reads ("" = each its own, see default_candidates).
  std::string features;
  /// Rows below which the default candidate list is the GP alone, without inner CV.
  std::size_t min_rows_for_selection = 100;

  /// @brief Parses JSON text ("" = defaults); InvalidArgument naming the key on unknown keys or bad values.
  static AutoOptions from_json(const std::string& text);
  std::string to_json() const;
};

/// @brief The default candidate list for `rows` training rows (docs/auto.md says how it was chosen).
/// `feature_aware`: the caller resolves per-candidate feature sets (Model::train); otherwise every
/// candidate reads all columns (a campaign's design-space features).
std::vector<AutoCandidate> default_candidates(std::size_t rows, bool classification, bool feature_aware,
                                              const AutoOptions& options = {});

/// @brief What the engine chose, and why.
struct AutoReport {
  std::string chosen;  ///< the chosen candidate's name, or "pool(a | b | ...)"
  std::vector<std::string> members;  ///< the pool's members (one entry: the chosen candidate)
  std::vector<std::pair<std::string, double>> inner_cv;  ///< inner-CV score of each candidate (lower is better)
  std::string score_name;  ///< "MAE" or "1 - balanced accuracy"
  double sigma_a = 1, sigma_b = 0;  ///< σ recalibration applied to the Gaussian part's scale
  PlattScaling probability;  ///< Platt scaling of P(y = 1) (classification) or P(y > 0) (hurdle)
  PitCalibration quantiles;  ///< quantile recalibration (regression)
  ConformalInterval conformal;
  double threshold = 0.5;  ///< classification decision threshold
};

class AutoModel final : public Surrogate {
 public:
  explicit AutoModel(AutoOptions options = {}, std::uint64_t seed = 0);
  ~AutoModel() override;
  AutoModel(const AutoModel&);

  std::string kind() const override { return "auto"; }
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
           const Eigen::VectorXd& noise_variance = Eigen::VectorXd()) override;
  /// @brief Predictions with `distribution` and (regression) the conformal interval set; mean and
  /// variance are the distribution's summary (the median and σ; classification P(y = 1)).
  Prediction predict(const Eigen::MatrixXd& X) const override;
  /// @brief Joint samples: the chosen (first pooled) member's joint latent samples as a Gaussian
  /// copula, z = (s − μ)/σ in its own space, mapped to mean + z·σ_epistemic of this model.
  Eigen::MatrixXd sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const override;
  void save(Archive& out) const override;
  void load(const Archive& in) override;
  bool is_fitted() const noexcept override;
  std::unique_ptr<Surrogate> clone() const override;
  void set_input_reference(const Eigen::MatrixXd& reference) override;

  /// @brief The input columns of each feature spec the candidates name (set before fit, by
  /// Model::train, which builds one pipeline holding every candidate's features). Not set: every
  /// candidate reads every column. Set: a candidate whose spec is missing is an InvalidArgument.
  void set_feature_columns(std::map<std::string, std::vector<Eigen::Index>> columns);
  const AutoOptions& options() const noexcept;
  const AutoReport& report() const;
  /// @brief The fitted members (one, or the pool's).
  const std::vector<TransformedModel>& members() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// @brief Rows below which a campaign's auto model is the GP alone (unless the user's JSON sets
/// `min_rows_for_selection`).
inline constexpr std::size_t kCampaignMinRowsForSelection = 500;

/// @brief Auto options for a campaign's rounds (propose, bench campaign, bench bo): the user's JSON
/// with the default GP candidate given the few-point priors a campaign's GP fits with
/// (gp_options_with_few_point_priors) where the user set none of them, and
/// `min_rows_for_selection` = kCampaignMinRowsForSelection where the user did not set it.
std::string campaign_auto_options(const std::string& user_json);

/// @brief The options a campaign round fits surrogate `model` with: the GP's few-point priors
/// (gp_options_with_few_point_priors), campaign_auto_options for "auto", else `user_json` unchanged.
std::string campaign_model_options(const std::string& model, const std::string& user_json);

/// @brief The candidate list the engine will expand: `options.candidates`, else the defaults.
std::vector<AutoCandidate> effective_candidates(const AutoOptions& options, std::size_t rows, bool feature_aware);

}  // namespace matopt
