// SPDX-License-Identifier: MIT
/// @file
/// @brief Pool-based retrospective campaigns in the protocol of Liang et al. 2021 (npj Comput Mater
/// 7, 188): a measured dataset plays the lab; rows with identical inputs are averaged into one
/// candidate; each repeat starts from 2 random candidates; the goal is the top 5 % (ceil) of the pool.
/// Reports Top% per iteration, the enhancement factor EF and acceleration factor AF against random
/// search run alongside; multi-objective datasets report the hypervolume of the measured set.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "matopt/campaign/campaign.hpp"
#include "matopt/optimize/design_space.hpp"

namespace matopt {

/// @brief A dataset reduced to its pool of unique inputs.
struct RetrospectivePool {
  std::string name;
  std::vector<std::string> inputs;      ///< input column names
  std::vector<std::string> objectives;  ///< objective column names
  std::vector<bool> maximize;           ///< per objective
  Eigen::MatrixXd X;                    ///< unique inputs (categoricals one-hot), one row per candidate
  Eigen::MatrixXd Y;                    ///< mean objective values per candidate (original units)
  std::size_t rows_read = 0;
  /// The design space a user would declare for this pool: one process parameter per input
  /// (continuous within the config's low/high, else the data's range; categoricals with their
  /// options) and the objectives; no pool file (the candidates are `points`).
  DesignSpace space;
  Eigen::MatrixXd points;  ///< the candidates as design points of `space` (categoricals as indices)
};

/// @brief Reads a CSV and its config (format of data/sdl/*.config.json: "parameters" with name and
/// type continuous|categorical (+ options), "objectives" with name and goal). Rows with identical
/// inputs are merged and their objectives averaged. Throws DataError naming file, row and column.
RetrospectivePool load_retrospective_pool(const std::filesystem::path& csv, const std::filesystem::path& config);

struct RetrospectiveOptions {
  int budget = 100;           ///< evaluations per campaign, including the initial points
  int batch = 1;              ///< candidates chosen per iteration
  int repeats = 10;           ///< BO campaigns (each with its own seed)
  int random_repeats = 200;   ///< random-search campaigns (cheap; they run through the whole pool)
  int n_initial = 2;          ///< random pool rows given to the campaign as prior measurements
  double top_fraction = 0.05;
  /// What each iteration's Campaign::propose runs with: `matopt propose`'s options and defaults
  /// (strategy "" = default_strategy(), the GP with few-point priors, min_measurements: 3 for a pool). `q` is
  /// set from `batch`.
  CampaignProposeOptions propose;
  std::uint64_t seed = 0;
};

/// @brief The GP options a retrospective campaign fits with: `user_options` (JSON) plus, where it does
/// not set them, priors for the few-point regime (log noise variance ~ N(-4, 1); length scales
/// ~ Gamma(3, 1.73) in standardized units). Other models: `user_options` unchanged.
std::string retrospective_model_options(const std::string& model, const std::string& user_options);

struct RetrospectiveResult {
  std::string dataset;
  RetrospectiveOptions options;
  std::size_t pool_size = 0;
  std::size_t top_count = 0;  ///< ceil(top_fraction * pool) (single objective)
  bool multi_objective = false;
  /// Per repeat, per evaluation i = 1..budget (BO) or 1..pool (random): fraction of the top set found
  /// (single objective) or hypervolume of the measured set (multi-objective).
  std::vector<std::vector<double>> bo, random;
  /// Per BO repeat, the pool rows (0-based, rows of RetrospectivePool::points) in evaluation order:
  /// the n_initial random ones, then the proposals.
  std::vector<std::vector<std::size_t>> bo_order;
  std::string strategy;  ///< the strategy the proposals used (the default resolved)
  std::vector<double> bo_mean, bo_std, random_mean;  ///< per evaluation
  std::vector<double> ef;  ///< bo_mean / random_mean per evaluation (single objective)
  /// AF at Top% = 0.5, 0.8, 1.0: median evaluations of random / median of BO (NaN where the BO median
  /// does not reach it within the budget).
  std::vector<double> af_levels{0.5, 0.8, 1.0};
  std::vector<double> af, bo_median_evals, random_median_evals;
  double pool_hypervolume = 0.0;  ///< multi-objective: hypervolume of the whole pool (the ceiling)
  double seconds = 0.0;
  std::string model_options;  ///< options the models were fitted with (see retrospective_model_options)

  std::string to_json() const;   ///< every repeat's values plus the summary
  std::string summary() const;   ///< a table for the terminal
};

/// @brief Runs the BO and random-search campaigns. Each BO repeat r is an in-memory Campaign with
/// seed derive_seed(options.seed, r), the n_initial random rows as prior measurements, then one
/// Campaign::propose per iteration whose proposals are answered from the pool: the loop a lab runs
/// with `matopt init --history`, `propose` and `ingest`. Deterministic for a given seed.
RetrospectiveResult run_retrospective(const RetrospectivePool& pool, const RetrospectiveOptions& options);

}  // namespace matopt
