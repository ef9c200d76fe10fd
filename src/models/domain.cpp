// SPDX-License-Identifier: MIT
#include "matopt/models/domain.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/median.hpp"
#include "core/parallel.hpp"
#include "models/column_scaling.hpp"
#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/selection.hpp"

namespace matopt {

Eigen::VectorXd nearest_distances(const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R, bool exclude_self) {
  Eigen::VectorXd out = Eigen::VectorXd::Constant(Q.rows(), std::numeric_limits<double>::infinity());
  if (R.rows() == 0 || Q.rows() == 0) return out;
  const Eigen::VectorXd r2 = R.rowwise().squaredNorm();
  constexpr std::size_t kBlock = 256;
  detail::parallel_chunks(static_cast<std::size_t>(Q.rows()), 0, kBlock, [&](std::size_t b, std::size_t e) {
    for (std::size_t start = b; start < e; start += kBlock) {
      const auto rows = static_cast<Eigen::Index>(std::min(kBlock, e - start));
      const auto q0 = static_cast<Eigen::Index>(start);
      // ‖q − r‖² = ‖r‖² − 2 q·r + ‖q‖²: the argmin by one matrix product, then the exact distance of it.
      Eigen::MatrixXd d = (-2.0 * Q.middleRows(q0, rows) * R.transpose()).rowwise() + r2.transpose();
      for (Eigen::Index i = 0; i < rows; ++i) {
        if (exclude_self) d(i, q0 + i) = std::numeric_limits<double>::infinity();
        Eigen::Index j = 0;
        d.row(i).minCoeff(&j);
        out[q0 + i] = (Q.row(q0 + i) - R.row(j)).norm();
      }
    }
  });
  return out;
}

Eigen::MatrixXd ApplicabilityDomain::standardize(const Eigen::MatrixXd& X) const {
  if (X.cols() != mean_.size())
    throw InvalidArgument("applicability domain: " + std::to_string(X.cols()) + " feature columns, fitted on " +
                          std::to_string(mean_.size()));
  return detail::ColumnScaling{mean_, inv_sd_}.apply(X);
}

void ApplicabilityDomain::fit(const Eigen::MatrixXd& X, const DomainOptions& options) {
  const Eigen::Index n = X.rows();
  if (n < 2) throw InvalidArgument("applicability domain: needs at least 2 training rows");
  if (!X.allFinite()) throw InvalidArgument("applicability domain: non-finite features");
  if (static_cast<std::size_t>(n) > std::max<std::size_t>(options.max_rows, 2)) {
    const std::vector<std::size_t> rows = sample_indices(static_cast<std::size_t>(n), options.max_rows, derive_seed(options.seed, 0x5A));
    DomainOptions sub = options;
    sub.max_rows = rows.size();
    return fit(X(rows, Eigen::all), sub);
  }
  const detail::ColumnScaling scaling = detail::ColumnScaling::fit(X);
  mean_ = scaling.mean;
  inv_sd_ = scaling.inv_sd;
  train_ = scaling.apply(X);
  const Eigen::VectorXd self = nearest_distances(train_, train_, true);
  std::vector<double> spacings(self.data(), self.data() + self.size());
  const double s = detail::median_in_place(spacings);
  spacing_ = s > 0 ? s : 1.0;  // duplicates everywhere: distances stay in standardized units

  // Calibration: held-out rows of K folds scored against the other folds.
  const int k = std::clamp(options.folds, 2, static_cast<int>(n));
  const std::vector<int> fold = inner_fold_assignment(static_cast<std::size_t>(n), k, options.seed);
  Eigen::VectorXd cv(n);
  for (int f = 0; f < k; ++f) {
    std::vector<Eigen::Index> in, out;
    for (Eigen::Index i = 0; i < n; ++i) (fold[static_cast<std::size_t>(i)] == f ? out : in).push_back(i);
    const Eigen::VectorXd d = nearest_distances(train_(out, Eigen::all), train_(in, Eigen::all));
    for (std::size_t t = 0; t < out.size(); ++t) cv[out[t]] = d[static_cast<Eigen::Index>(t)] / spacing_;
  }
  threshold_ = detail::interpolated_quantile(std::vector<double>(cv.data(), cv.data() + cv.size()),
                                             std::clamp(options.coverage, 0.0, 1.0));
}

Eigen::VectorXd ApplicabilityDomain::score(const Eigen::MatrixXd& X) const {
  if (!is_fitted()) throw InvalidArgument("applicability domain: not fitted");
  return nearest_distances(standardize(X), train_) / spacing_;
}

void ApplicabilityDomain::save(Archive& out) const {
  out.set("train", train_);
  out.set("mean", mean_);
  out.set("inv_sd", inv_sd_);
  out.set_attr("spacing", spacing_);
  out.set_attr("threshold", threshold_);
}

void ApplicabilityDomain::load(const Archive& in) {
  train_ = in.matrix("train");
  mean_ = in.vector("mean");
  inv_sd_ = in.vector("inv_sd");
  spacing_ = std::get<double>(in.attr("spacing"));
  threshold_ = std::get<double>(in.attr("threshold"));
}

}  // namespace matopt
