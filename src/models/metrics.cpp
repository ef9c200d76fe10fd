// SPDX-License-Identifier: MIT
#include "matopt/models/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "matopt/core/error.hpp"

namespace matopt {

using Eigen::Index;
using Eigen::VectorXd;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_sizes(const char* fn, const VectorXd& a, const VectorXd& b) {
  if (a.size() == 0) throw InvalidArgument(std::string(fn) + ": empty input");
  if (a.size() != b.size())
    throw InvalidArgument(std::string(fn) + ": size mismatch (" + std::to_string(a.size()) + " vs " +
                          std::to_string(b.size()) + ")");
}

void check_std(const char* fn, const VectorXd& s) {
  for (Index i = 0; i < s.size(); ++i)
    if (!(s[i] > 0.0) || !std::isfinite(s[i]))
      throw InvalidArgument(std::string(fn) + ": standard deviation at index " + std::to_string(i) +
                            " must be finite and > 0");
}

// Average (1-based) ranks; tied values share the mean of their positions.
VectorXd average_ranks(const VectorXd& v) {
  const Index n = v.size();
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return v[a] < v[b]; });
  VectorXd r(n);
  for (Index i = 0; i < n;) {
    Index j = i;
    while (j + 1 < n && v[order[static_cast<std::size_t>(j + 1)]] == v[order[static_cast<std::size_t>(i)]]) ++j;
    const double avg = 0.5 * static_cast<double>(i + j) + 1.0;
    for (Index k = i; k <= j; ++k) r[order[static_cast<std::size_t>(k)]] = avg;
    i = j + 1;
  }
  return r;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

void check_labels(const char* fn, const VectorXd& y) {
  for (Index i = 0; i < y.size(); ++i)
    if (y[i] != 0.0 && y[i] != 1.0)
      throw InvalidArgument(std::string(fn) + ": label at index " + std::to_string(i) + " is not 0 or 1");
}

}  // namespace

double mae(const VectorXd& y, const VectorXd& m) {
  check_sizes("mae", y, m);
  return (y - m).cwiseAbs().mean();
}

double rmse(const VectorXd& y, const VectorXd& m) {
  check_sizes("rmse", y, m);
  return std::sqrt((y - m).squaredNorm() / static_cast<double>(y.size()));
}

double r2_score(const VectorXd& y, const VectorXd& m) {
  check_sizes("r2_score", y, m);
  const double ss_tot = (y.array() - y.mean()).square().sum();
  if (ss_tot == 0.0) return kNaN;
  return 1.0 - (y - m).squaredNorm() / ss_tot;
}

double gaussian_nll(const VectorXd& y, const VectorXd& m, const VectorXd& s) {
  check_sizes("gaussian_nll", y, m);
  check_sizes("gaussian_nll", y, s);
  check_std("gaussian_nll", s);
  const double log2pi = std::log(2.0 * M_PI);
  double total = 0.0;
  for (Index i = 0; i < y.size(); ++i) {
    const double z = (y[i] - m[i]) / s[i];
    total += 0.5 * log2pi + std::log(s[i]) + 0.5 * z * z;
  }
  return total / static_cast<double>(y.size());
}

double normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) {
    if (p == 0.0) return -std::numeric_limits<double>::infinity();
    if (p == 1.0) return std::numeric_limits<double>::infinity();
    throw InvalidArgument("normal_quantile: p must be in [0, 1]");
  }
  if (p == 0.5) return 0.0;
  // Bisection on the CDF: slow-ish but exact to the last bits and never diverges in the tails.
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 200 && hi - lo > 0.0; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi) break;
    if (normal_cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

double interval_coverage(const VectorXd& y, const VectorXd& m, const VectorXd& s, double level) {
  check_sizes("interval_coverage", y, m);
  check_sizes("interval_coverage", y, s);
  if (!(level > 0.0 && level < 1.0)) throw InvalidArgument("interval_coverage: level must be in (0, 1)");
  const double z = normal_quantile(0.5 + 0.5 * level);
  Index inside = 0;
  for (Index i = 0; i < y.size(); ++i)
    if (std::abs(y[i] - m[i]) <= z * s[i]) ++inside;
  return static_cast<double>(inside) / static_cast<double>(y.size());
}

namespace {

// Trapezoid integral of |observed(p) − p| over the expected proportions p = 0, 1/(bins − 1), …, 1.
template <class Observed>
double area_between(int bins, Observed observed) {
  double area = 0.0, prev = 0.0;
  for (int k = 0; k < bins; ++k) {
    const double p = static_cast<double>(k) / static_cast<double>(bins - 1);
    const double gap = std::abs(observed(p) - p);
    if (k > 0) area += 0.5 * (gap + prev) / static_cast<double>(bins - 1);
    prev = gap;
  }
  return area;
}

}  // namespace

double miscalibration_area(const VectorXd& y, const VectorXd& m, const VectorXd& s, int bins) {
  check_sizes("miscalibration_area", y, m);
  check_sizes("miscalibration_area", y, s);
  check_std("miscalibration_area", s);
  if (bins < 2) throw InvalidArgument("miscalibration_area: bins must be >= 2");
  // Sorting the standardized absolute residuals makes each observed proportion a binary search.
  std::vector<double> z(static_cast<std::size_t>(y.size()));
  for (Index i = 0; i < y.size(); ++i) z[static_cast<std::size_t>(i)] = std::abs(y[i] - m[i]) / s[i];
  std::sort(z.begin(), z.end());
  const double n = static_cast<double>(z.size());
  return area_between(bins, [&](double p) {
    const double half = p >= 1.0 ? std::numeric_limits<double>::infinity() : normal_quantile(0.5 + 0.5 * p);
    return static_cast<double>(std::upper_bound(z.begin(), z.end(), half) - z.begin()) / n;
  });
}

namespace {

void check_pit(const char* what, const VectorXd& lo, const VectorXd& hi) {
  check_sizes(what, lo, hi);
  for (Index i = 0; i < lo.size(); ++i)
    if (!(lo[i] >= 0.0 && lo[i] <= hi[i] && hi[i] <= 1.0))
      throw InvalidArgument(std::string(what) + ": row " + std::to_string(i) + " has PIT interval [" +
                            std::to_string(lo[i]) + ", " + std::to_string(hi[i]) + "]; expected 0 <= lo <= hi <= 1");
}

// Expected share of the rows whose PIT lies in [½ − level/2, ½ + level/2] (randomized inside atoms).
double pit_inside(const VectorXd& lo, const VectorXd& hi, double level) {
  const double a = 0.5 - 0.5 * level, b = 0.5 + 0.5 * level;
  double inside = 0.0;
  for (Index i = 0; i < lo.size(); ++i) {
    const double width = hi[i] - lo[i];
    if (width > 0.0) inside += std::max(0.0, std::min(hi[i], b) - std::max(lo[i], a)) / width;
    else if (std::abs(lo[i] - 0.5) <= 0.5 * level) inside += 1.0;
  }
  return inside / static_cast<double>(lo.size());
}

}  // namespace

double pit_interval_coverage(const VectorXd& lo, const VectorXd& hi, double level) {
  check_pit("pit_interval_coverage", lo, hi);
  if (!(level > 0.0 && level < 1.0)) throw InvalidArgument("pit_interval_coverage: level must be in (0, 1)");
  return pit_inside(lo, hi, level);
}

double pit_miscalibration_area(const VectorXd& lo, const VectorXd& hi, int bins) {
  check_pit("pit_miscalibration_area", lo, hi);
  if (bins < 2) throw InvalidArgument("pit_miscalibration_area: bins must be >= 2");
  return area_between(bins, [&](double p) { return pit_inside(lo, hi, p); });
}

double sharpness(const VectorXd& s) {
  if (s.size() == 0) throw InvalidArgument("sharpness: empty input");
  return std::sqrt(s.squaredNorm() / static_cast<double>(s.size()));
}

double spearman(const VectorXd& a, const VectorXd& b) {
  check_sizes("spearman", a, b);
  const VectorXd ra = average_ranks(a), rb = average_ranks(b);
  const VectorXd ca = ra.array() - ra.mean(), cb = rb.array() - rb.mean();
  const double den = std::sqrt(ca.squaredNorm() * cb.squaredNorm());
  if (den == 0.0) return kNaN;
  return ca.dot(cb) / den;
}

double error_uncertainty_spearman(const VectorXd& y, const VectorXd& m, const VectorXd& s) {
  check_sizes("error_uncertainty_spearman", y, m);
  return spearman((y - m).cwiseAbs(), s);
}

double roc_auc(const VectorXd& labels, const VectorXd& scores) {
  check_sizes("roc_auc", labels, scores);
  check_labels("roc_auc", labels);
  const VectorXd r = average_ranks(scores);
  double pos = 0, rank_sum = 0;
  for (Index i = 0; i < labels.size(); ++i)
    if (labels[i] == 1.0) {
      pos += 1;
      rank_sum += r[i];
    }
  const double neg = static_cast<double>(labels.size()) - pos;
  if (pos == 0 || neg == 0) throw InvalidArgument("roc_auc: needs both classes (0 and 1) among the labels");
  return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

double accuracy(const VectorXd& labels, const VectorXd& predicted) {
  check_sizes("accuracy", labels, predicted);
  check_labels("accuracy", labels);
  check_labels("accuracy", predicted);
  return (labels.array() == predicted.array()).cast<double>().mean();
}

double balanced_accuracy(const VectorXd& labels, const VectorXd& predicted) {
  check_sizes("balanced_accuracy", labels, predicted);
  check_labels("balanced_accuracy", labels);
  check_labels("balanced_accuracy", predicted);
  double recall_sum = 0;
  int classes = 0;
  for (double c : {0.0, 1.0}) {
    double total = 0, hit = 0;
    for (Index i = 0; i < labels.size(); ++i)
      if (labels[i] == c) {
        total += 1;
        if (predicted[i] == c) hit += 1;
      }
    if (total > 0) {
      recall_sum += hit / total;
      ++classes;
    }
  }
  return recall_sum / classes;
}

double matbench_roc_auc(const VectorXd& labels, const VectorXd& scores, double threshold) {
  check_sizes("matbench_roc_auc", labels, scores);
  const VectorXd hard = (scores.array() >= threshold).cast<double>();
  return roc_auc(labels, hard);
}

RegressionMetrics regression_metrics(const VectorXd& y, const VectorXd& m, const VectorXd& s) {
  RegressionMetrics r;
  r.mae = mae(y, m);
  r.rmse = rmse(y, m);
  r.r2 = r2_score(y, m);
  r.nll = gaussian_nll(y, m, s);
  r.miscalibration_area = miscalibration_area(y, m, s);
  r.coverage68 = interval_coverage(y, m, s, 0.6826894921370859);
  r.coverage95 = interval_coverage(y, m, s, 0.95);
  r.sharpness = sharpness(s);
  r.spearman_error_std = error_uncertainty_spearman(y, m, s);
  return r;
}

}  // namespace matopt
