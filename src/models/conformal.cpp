// SPDX-License-Identifier: MIT
#include "matopt/models/conformal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "matopt/core/error.hpp"

namespace matopt {

ConformalInterval ConformalInterval::fit(const Eigen::VectorXd& y, const Eigen::VectorXd& point,
                                         const Eigen::VectorXd& sd, double coverage) {
  if (!(coverage > 0.0 && coverage < 1.0))
    throw InvalidArgument("conformal interval: coverage must be in (0, 1) (got " + std::to_string(coverage) + ")");
  const Eigen::Index n = y.size();
  if (n == 0 || point.size() != n || sd.size() != n)
    throw InvalidArgument("conformal interval: need as many points and σ as targets, at least one (got " +
                          std::to_string(n) + ", " + std::to_string(point.size()) + ", " + std::to_string(sd.size()) + ")");
  std::vector<double> scores(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(sd[i] > 0.0) || !std::isfinite(y[i]) || !std::isfinite(point[i]))
      throw InvalidArgument("conformal interval: row " + std::to_string(i + 1) + " needs a finite target and point and σ > 0");
    scores[static_cast<std::size_t>(i)] = std::abs(y[i] - point[i]) / sd[i];
  }
  ConformalInterval c;
  c.coverage = coverage;
  c.fitted = true;
  // The ⌈(n + 1)(coverage)⌉-th smallest score: P(new score <= q) >= coverage for exchangeable rows.
  const auto k = static_cast<std::size_t>(std::ceil(static_cast<double>(n + 1) * coverage - 1e-12));
  if (k > static_cast<std::size_t>(n)) {
    c.q = std::numeric_limits<double>::infinity();
    return c;
  }
  std::nth_element(scores.begin(), scores.begin() + static_cast<std::ptrdiff_t>(k - 1), scores.end());
  c.q = scores[k - 1];
  return c;
}

std::pair<Eigen::VectorXd, Eigen::VectorXd> ConformalInterval::apply(const Eigen::VectorXd& point,
                                                                     const Eigen::VectorXd& sd) const {
  if (!fitted) throw InvalidArgument("conformal interval: apply before fit");
  if (point.size() != sd.size()) throw InvalidArgument("conformal interval: points and σ differ in size");
  return {(point.array() - q * sd.array()).matrix(), (point.array() + q * sd.array()).matrix()};
}

}  // namespace matopt
