// SPDX-License-Identifier: MIT
/// @file
/// @brief Acquisition optimization over a DesignSpace: proposes a batch of q feasible design points.
///
/// Continuous/mixed spaces: space-filling feasible samples, pre-screened with prescreen_scores(), the
/// best refined by feasible local moves (pairwise mass transfer between elements in granularity steps,
/// bounded steps of process parameters, enumeration of categoricals), then select_batch() on the
/// shortlist. Pools: the file is streamed in chunks, each scored in parallel, a top-K shortlist kept,
/// then select_batch(). Measured and pending points are never proposed again. Every proposed point is
/// re-checked with DesignSpace::validate() before it is returned.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "matopt/acquisition/batch.hpp"
#include "matopt/optimize/design_space.hpp"

namespace matopt {

/// @brief Maps design points (rows) to model-input rows: identity for synthetic problems, a
/// featurization Pipeline over DesignSpace::to_dataset() for campaigns. Must be thread-safe (pool
/// chunks are featurized concurrently) and row-wise (row i of the output depends only on row i).
using FeatureFn = std::function<Eigen::MatrixXd(const Eigen::MatrixXd& points)>;

/// @brief FeatureFn returning the points unchanged.
FeatureFn identity_features();

struct ProposeOptions {
  /// Strategy, q, MC samples, seed and reference point passed to select_batch. `batch.shortlist` is
  /// the number of candidates handed to select_batch (top prescreen scores).
  BatchOptions batch;
  int raw_samples = 1024;       ///< space-filling samples for continuous/mixed spaces
  int refine_starts = 16;       ///< best samples refined by local moves
  int refine_iterations = 60;   ///< local-move steps per start (stops early when no move improves)
  /// Kriging-believer rounds (at most q): each refines `refine_starts` samples with the model mean at
  /// the previous rounds' best points appended to the data, spreading the shortlist along the front.
  int believer_rounds = 8;
  std::size_t chunk_rows = 8192;  ///< pool rows read and scored per chunk
  int threads = 0;              ///< scoring threads; 0 = std::thread::hardware_concurrency()
  double duplicate_tolerance = 1e-9;  ///< points closer than this (max-norm) count as already measured
  /// Trust region: the applicability-domain score of model-input rows (models/domain.hpp) and the
  /// largest score a proposal may have; unset = no limit. Candidates beyond it are never proposed.
  std::function<Eigen::VectorXd(const Eigen::MatrixXd& model_inputs)> domain_score;
  double max_domain_score = std::numeric_limits<double>::infinity();
  /// Candidate rows held in memory (design points already inside the space, e.g. a campaign's stored
  /// pool), scored in chunks like a pool file and used instead of the space's pool file or sampling.
  /// ProposeResult::pool_rows are then 1-based row numbers of this matrix.
  Eigen::MatrixXd pool;
};

struct ProposeResult {
  Eigen::MatrixXd points;              ///< q x dimension, in pick order
  Eigen::VectorXd acquisition_values;  ///< value each had when picked (select_batch)
  Eigen::MatrixXd mean;                ///< q x num_outputs predicted means (original units)
  Eigen::MatrixXd std;                 ///< q x num_outputs predicted standard deviations
  std::vector<std::size_t> pool_rows;  ///< 1-based pool data rows (pool spaces only)
  std::size_t candidates_scored = 0;   ///< pre-screened candidates (pool rows or samples + moves)
};

/// @brief Proposes options.batch.q distinct feasible points.
/// @param observed_points design points already measured (n x dimension); may be empty
/// @param observed_Y      their outputs (n x output_names().size(), NaN = not measured)
/// @param pending_points  proposed, not yet measured points (p x dimension); may be empty
/// Throws InvalidArgument when fewer than q new feasible candidates exist (with the reason).
ProposeResult propose(const DesignSpace& space, const PosteriorModel& model, const FeatureFn& to_model_inputs,
                      const Eigen::MatrixXd& observed_points, const Eigen::MatrixXd& observed_Y,
                      const Eigen::MatrixXd& pending_points, const ProposeOptions& options);

}  // namespace matopt
