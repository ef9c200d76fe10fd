// SPDX-License-Identifier: MIT
#include "matopt/acquisition/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "matopt/core/error.hpp"

namespace matopt {
namespace {

bool row_has_nan(const Eigen::MatrixXd& Y, Eigen::Index i) {
  for (Eigen::Index k = 0; k < Y.cols(); ++k)
    if (std::isnan(Y(i, k))) return true;
  return false;
}

}  // namespace

Eigen::MatrixXd to_maximization(const Eigen::MatrixXd& outputs, const std::vector<Objective>& objectives) {
  Eigen::MatrixXd out(outputs.rows(), static_cast<Eigen::Index>(objectives.size()));
  for (std::size_t j = 0; j < objectives.size(); ++j) {
    const Objective& o = objectives[j];
    if (o.output < 0 || o.output >= outputs.cols())
      throw InvalidArgument("objective '" + o.name + "': output index " + std::to_string(o.output) +
                            " is outside the " + std::to_string(outputs.cols()) + " model outputs");
    const auto col = static_cast<Eigen::Index>(j);
    for (Eigen::Index i = 0; i < outputs.rows(); ++i) {
      const double y = outputs(i, o.output);
      switch (o.goal) {
        case Goal::Maximize: out(i, col) = y; break;
        case Goal::Minimize: out(i, col) = -y; break;
        case Goal::Target: {
          double lo = o.target_low, hi = o.target_high;
          if (std::isnan(lo) || std::isnan(hi)) {
            if (std::isnan(o.target))
              throw InvalidArgument("objective '" + o.name +
                                    "': goal 'target' needs a target value or both target_low and target_high");
            lo = hi = o.target;
          }
          if (lo > hi)
            throw InvalidArgument("objective '" + o.name + "': target_low " + std::to_string(lo) +
                                  " is above target_high " + std::to_string(hi));
          out(i, col) = std::isnan(y) ? y : -std::max({lo - y, 0.0, y - hi});
          break;
        }
      }
    }
  }
  return out;
}

bool dominates(const Eigen::Ref<const Eigen::VectorXd>& a, const Eigen::Ref<const Eigen::VectorXd>& b) noexcept {
  bool strictly = false;
  for (Eigen::Index k = 0; k < a.size(); ++k) {
    if (a[k] < b[k]) return false;
    if (a[k] > b[k]) strictly = true;
  }
  return strictly;
}

std::vector<Eigen::Index> nondominated_indices(const Eigen::MatrixXd& Y) {
  const Eigen::Index m = Y.cols();
  std::vector<Eigen::Index> order;
  order.reserve(static_cast<std::size_t>(Y.rows()));
  for (Eigen::Index i = 0; i < Y.rows(); ++i)
    if (!row_has_nan(Y, i)) order.push_back(i);
  // Lexicographically decreasing: every row that weakly dominates another comes before it, so each row
  // needs checking only against the rows already kept.
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    for (Eigen::Index k = 0; k < m; ++k) {
      if (Y(a, k) != Y(b, k)) return Y(a, k) > Y(b, k);
    }
    return false;
  });
  std::vector<Eigen::Index> kept;
  if (m == 2) {
    double best_y = -std::numeric_limits<double>::infinity();
    bool any = false;
    for (Eigen::Index i : order) {
      if (!any || Y(i, 1) > best_y) {
        kept.push_back(i);
        best_y = Y(i, 1);
        any = true;
      }
    }
  } else {
    for (Eigen::Index i : order) {
      bool covered = false;
      for (Eigen::Index j : kept) {
        bool weak = true;
        for (Eigen::Index k = 0; k < m && weak; ++k) weak = Y(j, k) >= Y(i, k);
        if (weak) {
          covered = true;
          break;
        }
      }
      if (!covered) kept.push_back(i);
    }
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

Eigen::MatrixXd pareto_front(const Eigen::MatrixXd& Y) {
  const auto idx = nondominated_indices(Y);
  Eigen::MatrixXd F(static_cast<Eigen::Index>(idx.size()), Y.cols());
  for (std::size_t r = 0; r < idx.size(); ++r) F.row(static_cast<Eigen::Index>(r)) = Y.row(idx[r]);
  return F;
}

std::vector<int> pareto_ranks(const Eigen::MatrixXd& Y) {
  const Eigen::Index n = Y.rows();
  std::vector<int> rank(static_cast<std::size_t>(n), -1);
  std::vector<Eigen::Index> left;
  for (Eigen::Index i = 0; i < n; ++i)
    if (!row_has_nan(Y, i)) left.push_back(i);
  for (int r = 0; !left.empty(); ++r) {
    std::vector<Eigen::Index> rest;
    std::vector<Eigen::Index> layer;
    for (Eigen::Index i : left) {
      bool dominated = false;
      for (Eigen::Index j : left) {
        if (j != i && dominates(Y.row(j).transpose(), Y.row(i).transpose())) {
          dominated = true;
          break;
        }
      }
      (dominated ? rest : layer).push_back(i);
    }
    for (Eigen::Index i : layer) rank[static_cast<std::size_t>(i)] = r;
    left.swap(rest);
  }
  return rank;
}

Eigen::VectorXd default_reference_point(const Eigen::MatrixXd& Y) {
  const Eigen::Index m = Y.cols();
  Eigen::VectorXd lo = Eigen::VectorXd::Constant(m, std::numeric_limits<double>::infinity());
  Eigen::VectorXd hi = -lo;
  bool any = false;
  for (Eigen::Index i = 0; i < Y.rows(); ++i) {
    if (row_has_nan(Y, i)) continue;
    any = true;
    lo = lo.cwiseMin(Y.row(i).transpose());
    hi = hi.cwiseMax(Y.row(i).transpose());
  }
  if (!any || m == 0)
    throw InvalidArgument("default_reference_point: no observation has a value for every objective");
  Eigen::VectorXd ref(m);
  for (Eigen::Index k = 0; k < m; ++k) {
    const double range = hi[k] - lo[k];
    ref[k] = lo[k] - 0.1 * (range > 0.0 ? range : std::max(std::abs(lo[k]), 1.0));
  }
  return ref;
}

}  // namespace matopt
