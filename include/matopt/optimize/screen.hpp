// SPDX-License-Identifier: MIT
/// @file
/// @brief Screening a whole design grid with a saved model: featurize and score every feasible grid
/// point in blocks and keep the best K (docs/screen.md).
///
/// The result depends only on the model, the grid, the score, K and the scoring tile: ties in the
/// score are broken by the smaller grid index, and points are always predicted in the same groups
/// (the feasible points of one tile of `tile` consecutive grid indices, tiles aligned to index 0), so
/// a point's score does not depend on which block, thread or process scored it. Some models' floating
/// point (the GP's matrix products) depends on the rows predicted together; the fixed tiles are what
/// make any block size, thread count or tile-aligned index split give the same top K, bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "matopt/models/model.hpp"
#include "matopt/optimize/grid.hpp"

namespace matopt {

enum class ScreenScoreKind {
  Mean,  ///< the predictive mean (in the goal's direction)
  Ucb,   ///< mean + sqrt(beta) sd (lower bound mean - sqrt(beta) sd when minimizing)
  Ei,    ///< log expected improvement over `parameter` (the best value known)
  Pof,   ///< log probability of being better than `parameter`
};

struct ScreenScore {
  ScreenScoreKind kind = ScreenScoreKind::Mean;
  double parameter = 0.0;  ///< beta for Ucb; the incumbent for Ei; the threshold for Pof
  bool maximize = true;
  /// @brief Parses "mean", "ucb:BETA", "ei:BEST" or "pof:THRESHOLD"; throws InvalidArgument naming
  /// the text and the accepted forms.
  static ScreenScore parse(const std::string& text, bool maximize);
  /// @brief The column name of the score in screen's output ("mean", "ucb", "log_ei", "log_pof").
  std::string column() const;
  /// @brief The score of one prediction (higher is better); NaN inputs give -inf.
  double operator()(double mean, double sd) const noexcept;
};

struct ScreenOptions {
  std::size_t target = 0;     ///< index into the model's targets()
  ScreenScore score;
  std::size_t top_k = 100;
  std::uint64_t block = 4096;  ///< grid indices per work item (rounded up to whole tiles)
  std::uint64_t tile = 1024;   ///< grid indices predicted together; changing it may change the last bits
  unsigned threads = 0;        ///< 0 = all cores
  /// Half-open index range [begin, end) to screen; end = 0 means the whole grid. Split a grid at
  /// multiples of `tile` for results identical to one run.
  std::uint64_t begin = 0, end = 0;
  /// Called from the calling thread with the indices done so far (for a progress bar).
  std::function<void(std::uint64_t done)> progress;
};

struct ScreenHit {
  std::uint64_t index = 0;
  double score = 0.0;
  double mean = 0.0, sd = 0.0;
};

struct ScreenResult {
  std::vector<ScreenHit> top;       ///< best first (score descending, then index ascending)
  std::uint64_t screened = 0;       ///< grid indices visited
  std::uint64_t feasible = 0;       ///< of those, satisfying the linear and descriptor constraints
};

/// @brief True when `a` ranks before `b`: higher score, or equal score and smaller index.
bool ranks_before(const ScreenHit& a, const ScreenHit& b) noexcept;

/// @brief The best `k` of several partial results (e.g. one per rank or thread), summed counts.
ScreenResult merge_screen_results(const std::vector<ScreenResult>& parts, std::size_t k);

/// @brief Scores every feasible grid index in [options.begin, options.end) with target
/// options.target of `model` and returns the best options.top_k. The model must read the space's
/// composition (if it has one) and a subset of its process parameters by name; throws
/// InvalidArgument naming a model input the space does not have.
ScreenResult screen(const Model& model, const DesignGrid& grid, const ScreenOptions& options);

/// @brief Counts the feasible points of [begin, end) by visiting them (for grids with linear or
/// descriptor constraints, where DesignGrid::size() is only an upper bound).
std::uint64_t count_feasible(const DesignGrid& grid, std::uint64_t begin, std::uint64_t end, unsigned threads = 0,
                             const std::function<void(std::uint64_t done)>& progress = {});

}  // namespace matopt
