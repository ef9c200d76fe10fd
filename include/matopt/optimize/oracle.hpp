// SPDX-License-Identifier: MIT
/// @file
/// @brief Evaluation of a design space's oracles (external calculators, OracleSpec) on design points
/// through the CSV protocol of docs/oracles.md, with a cache keyed by the oracle and the exact bits of
/// the point so that no point is ever sent twice.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"

namespace matopt {

/// @brief An oracle failed (could not start, crashed, timed out, exited non-zero or wrote malformed
/// output). The message names the oracle, the candidate (batch row and formula) and the column.
class OracleError : public DataError {
 public:
  using DataError::DataError;
};

/// @brief Values oracles returned, per oracle name, keyed by the exact bits of the design point.
/// Insertion order is kept (the campaign file stores the entries in that order).
class OracleCache {
 public:
  /// @brief The cached outputs of `oracle` at `point`, or nullptr.
  const Eigen::VectorXd* find(const std::string& oracle, const Eigen::VectorXd& point) const;
  void insert(const std::string& oracle, const Eigen::VectorXd& point, const Eigen::VectorXd& values);
  /// @brief Entries of one oracle as matrices (rows in insertion order); empty when none.
  void table(const std::string& oracle, Eigen::MatrixXd& points, Eigen::MatrixXd& values) const;
  /// @brief Replaces the entries of one oracle (rows of points and values).
  void set_table(const std::string& oracle, const Eigen::MatrixXd& points, const Eigen::MatrixXd& values);
  std::vector<std::string> oracle_names() const;
  std::size_t size(const std::string& oracle) const;

 private:
  struct Entries {
    std::map<std::string, std::size_t> index;  // point bits -> row
    std::vector<Eigen::VectorXd> points, values;
  };
  std::map<std::string, Entries> by_oracle_;
};

/// @brief Statistics of one evaluate_oracles call.
struct OracleRunStats {
  std::size_t cached = 0;  ///< (oracle, point) pairs answered from the cache
  std::size_t computed = 0;  ///< pairs sent to an oracle
  std::size_t calls = 0;   ///< oracle processes started
};

/// @brief The stdin text of one oracle call: header `row,formula,<elements>,<process>`, one row per
/// point (row = 1..n, formula "" without a composition block, numbers in shortest round-trip form,
/// categoricals by label).
std::string oracle_input_csv(const DesignSpace& space, const Eigen::MatrixXd& points);

/// @brief Parses an oracle's stdout for `n` candidates: a header naming every declared output (a `row`
/// column is optional and must then read 1..n), exactly n data rows, each value a finite number or
/// `nan` (no value). Throws OracleError naming the oracle, the output row (first data row = 1), the
/// candidate (`labels[row - 1]`: its formula, or its coordinates without a composition) and the column.
Eigen::MatrixXd parse_oracle_output(const OracleSpec& oracle, const std::string& text, const std::vector<std::string>& labels);

/// @brief Values of every oracle output at `points`: n x (sum of the oracles' outputs), columns in the
/// order of the oracles and their outputs. Cached points are not recomputed; the rest are sent in
/// batches of OracleSpec::batch and added to `cache` batch by batch. Throws OracleError on any failure.
Eigen::MatrixXd evaluate_oracles(const DesignSpace& space, const Eigen::MatrixXd& points, OracleCache& cache,
                                 OracleRunStats* stats = nullptr);

/// @brief How candidates are named in oracle messages: the formula, or "(name=value, ...)" without a
/// composition block.
std::string oracle_candidate_label(const DesignSpace& space, const Eigen::VectorXd& point);

/// @brief Column of oracle output `c` in evaluate_oracles' result.
int oracle_value_column(const DesignSpace& space, OracleColumn c);
/// @brief Columns of evaluate_oracles' result: every oracle's outputs, in order.
int oracle_value_count(const DesignSpace& space);

}  // namespace matopt
