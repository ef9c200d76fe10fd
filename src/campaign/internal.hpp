// SPDX-License-Identifier: MIT
// Private helpers shared by the campaign sources.
#pragma once

#include <Eigen/Core>

#include <string>
#include <vector>

#include "matopt/campaign/campaign.hpp"
#include "matopt/core/csv.hpp"

namespace matopt::campaign_detail {

inline constexpr const char* kFormat = "matopt-campaign";
inline constexpr std::int64_t kVersion = 1;

/// UTC time as ISO 8601 ("2026-01-31T12:00:00Z").
std::string utc_now();

/// How strictly rows of a results/history file are checked against the space.
enum class RowMode {
  Results,  ///< ingest: ids allowed, new compositions must lie inside the space
  History,  ///< init --history: no ids; points must be expressible but may lie outside bounds
};

/// A row of a results file, parsed and validated.
struct ParsedRow {
  std::size_t row = 0;         ///< 1-based row (header = 1)
  std::string proposal_id;     ///< "" for new compositions
  bool failed = false;
  Eigen::VectorXd point;
  Eigen::VectorXd outputs;
  std::string key;             ///< idempotency key
  bool already_ingested = false;
};

/// Parses and validates every row, collecting every problem; throws IngestError if any.
std::vector<ParsedRow> parse_results(const Campaign& campaign, const CsvTable& table, RowMode mode);

/// Content key of a measurement: the proposal id, or the point, outputs and status as exact text.
std::string measurement_key(const std::string& proposal_id, const Eigen::VectorXd& point,
                            const Eigen::VectorXd& outputs, bool failed);

/// Model inputs for design points ("point" features: coordinates with categoricals one-hot).
Eigen::MatrixXd point_features(const DesignSpace& space, const Eigen::MatrixXd& points);

}  // namespace matopt::campaign_detail
