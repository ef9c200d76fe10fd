// SPDX-License-Identifier: MIT
/// @file
/// @brief Objectives, the posterior-model interface the acquisition layer sees, and batch selection
/// of q candidates with pending points taken into account.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "matopt/models/surrogate.hpp"

namespace matopt {

enum class Goal { Maximize, Minimize, Target };

/// @brief One optimization objective on model output `output`.
/// Target goals maximize -|y - target| (or -distance to [low, high] when a range is given).
struct Objective {
  std::string name;
  int output = 0;  ///< index of the model output it reads
  Goal goal = Goal::Maximize;
  double target = std::numeric_limits<double>::quiet_NaN();
  double target_low = std::numeric_limits<double>::quiet_NaN();
  double target_high = std::numeric_limits<double>::quiet_NaN();
  /// Worst value still worth having (original units; maximize: a lower bound, minimize: an upper
  /// bound), like Ax's objective thresholds; the hypervolume reference point. NaN = not stated.
  /// Not allowed for target goals.
  double threshold = std::numeric_limits<double>::quiet_NaN();
};

/// @brief Output constraint lower <= y_output <= upper, handled by probability of feasibility.
struct OutcomeConstraint {
  std::string name;
  int output = 0;
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
};

/// @brief Fitted models of all outputs (objectives and constrained properties) at model-input rows.
class PosteriorModel {
 public:
  virtual ~PosteriorModel() = default;
  virtual int num_outputs() const = 0;
  /// @brief Marginal prediction of every output at the rows of X.
  virtual std::vector<Prediction> predict(const Eigen::MatrixXd& X) const = 0;
  /// @brief Joint posterior samples: element k is (n_samples x rows) for output k.
  virtual std::vector<Eigen::MatrixXd> sample_joint(const Eigen::MatrixXd& X, int n_samples,
                                                    std::uint64_t seed) const = 0;
};

/// @brief Independent surrogates, one per output (not owned; they must outlive this object).
class IndependentPosterior final : public PosteriorModel {
 public:
  explicit IndependentPosterior(std::vector<const Surrogate*> outputs);
  int num_outputs() const override { return static_cast<int>(outputs_.size()); }
  std::vector<Prediction> predict(const Eigen::MatrixXd& X) const override;
  std::vector<Eigen::MatrixXd> sample_joint(const Eigen::MatrixXd& X, int n_samples,
                                            std::uint64_t seed) const override;

 private:
  std::vector<const Surrogate*> outputs_;
};

/// @brief How to pick a batch.
struct BatchOptions {
  /// "qnehvi" (default; noisy MC hypervolume improvement, also for one objective = qNEI),
  /// "qparego", "ehvi" (exact, 2-3 objectives, kriging believer for q > 1), "ei", "logei", "ucb",
  /// "pi", "ts" (Thompson sampling), "random".
  std::string strategy = "qnehvi";
  int q = 1;
  double ucb_beta = 2.0;
  int mc_samples = 128;
  /// Candidates kept after the cheap marginal pre-screen for joint Monte-Carlo scoring.
  int shortlist = 256;
  std::uint64_t seed = 0;
  /// Hypervolume reference point in maximization orientation; empty = derived from the data
  /// (nadir of observations minus 10 % of the range).
  Eigen::VectorXd ref_point;
};

/// @brief Chosen rows of the candidate matrix, in pick order, with the acquisition value each had
/// when picked.
struct BatchResult {
  std::vector<Eigen::Index> indices;
  Eigen::VectorXd acquisition_values;
};

/// @brief Cheap per-candidate scores (marginal, no joint sampling) for pre-screening large pools in
/// chunks: higher is better; infeasible-by-constraint candidates are down-weighted by PoF.
/// Scores are log values (log EI for one objective, log EHVI for 2-3, log of the optimistic point's
/// hypervolume improvement for 4+, plus log PoF; UCB itself for strategy "ucb"), comparable across
/// chunks; candidates with exactly zero improvement rank below -1e4. Zero rows give an empty vector.
/// Runs on the calling thread (stream chunks from several threads to parallelize); thread-safe as
/// long as the model's predict() is. select_batch() scores its own candidates on several threads.
Eigen::VectorXd prescreen_scores(const PosteriorModel& model, const std::vector<Objective>& objectives,
                                 const std::vector<OutcomeConstraint>& constraints,
                                 const Eigen::MatrixXd& observed_Y, const Eigen::MatrixXd& candidates,
                                 const BatchOptions& options);

/// @brief Selects options.q distinct rows of `candidates`.
/// @param observed_X model inputs of measured points (n x d)
/// @param observed_Y measured outputs (n x num_outputs, original units; NaN = not measured)
/// @param pending_X  model inputs of proposed, not yet measured points (p x d); may be empty
BatchResult select_batch(const PosteriorModel& model, const std::vector<Objective>& objectives,
                         const std::vector<OutcomeConstraint>& constraints, const Eigen::MatrixXd& observed_X,
                         const Eigen::MatrixXd& observed_Y, const Eigen::MatrixXd& pending_X,
                         const Eigen::MatrixXd& candidates, const BatchOptions& options);

/// @brief Names accepted in BatchOptions::strategy.
std::vector<std::string> batch_strategies();

}  // namespace matopt
