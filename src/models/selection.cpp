// SPDX-License-Identifier: MIT
#include "matopt/models/selection.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"

namespace matopt {

std::vector<int> inner_fold_assignment(std::size_t n, int k, std::uint64_t seed) {
  if (k < 2 || static_cast<std::size_t>(k) > n)
    throw InvalidArgument("inner cross-validation: need 2 <= folds <= rows (got " + std::to_string(k) + " folds for " +
                          std::to_string(n) + " rows)");
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  Rng rng(seed);
  for (std::size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[uniform_index(rng, i)]);
  std::vector<int> fold(n, 0);
  for (std::size_t i = 0; i < n; ++i) fold[perm[i]] = static_cast<int>(i % static_cast<std::size_t>(k));
  return fold;
}

double thresholded_balanced_accuracy(const Eigen::VectorXd& p, const Eigen::VectorXd& y, double threshold) {
  if (p.size() != y.size()) throw InvalidArgument("balanced accuracy: probabilities and labels differ in size");
  double hit[2] = {0, 0}, count[2] = {0, 0};
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const int c = y[i] > 0.5 ? 1 : 0;
    count[c] += 1;
    if ((p[i] >= threshold ? 1 : 0) == c) hit[c] += 1;
  }
  double sum = 0;
  int classes = 0;
  for (int c = 0; c < 2; ++c)
    if (count[c] > 0) {
      sum += hit[c] / count[c];
      ++classes;
    }
  return classes ? sum / classes : 0.0;
}

double selection_score(const PredictiveDistribution& d, const Eigen::VectorXd& y) {
  if (d.size() != y.size())
    throw InvalidArgument("selection score: " + std::to_string(d.size()) + " predictions for " +
                          std::to_string(y.size()) + " targets");
  if (d.kind == DistributionKind::Bernoulli) return 1.0 - thresholded_balanced_accuracy(d.probability, y, d.threshold);
  Eigen::VectorXd point, sd;
  d.summarize(point, sd);
  return (point - y).cwiseAbs().mean();
}

TransformedPrediction pool_predictions(const std::vector<const TransformedPrediction*>& parts) {
  if (parts.empty()) throw InvalidArgument("pooling predictions: no members");
  const DistributionKind kind = parts[0]->distribution.kind;
  const Eigen::Index n = parts[0]->distribution.size();
  for (const auto* q : parts)
    if (q->distribution.kind != kind || q->distribution.size() != n)
      throw InvalidArgument("pooling predictions: members of different kinds or sizes (" +
                            to_string(q->distribution.kind) + " of " + std::to_string(q->distribution.size()) +
                            " rows vs " + to_string(kind) + " of " + std::to_string(n) + ")");
  const double w = 1.0 / static_cast<double>(parts.size());
  auto average = [&](auto field) {
    Eigen::VectorXd sum;
    for (const auto* q : parts) {
      const Eigen::VectorXd& v = field(*q);
      if (v.size() == 0) return Eigen::VectorXd();
      if (sum.size() == 0) sum = Eigen::VectorXd::Zero(v.size());
      sum += w * v;
    }
    return sum;
  };
  TransformedPrediction out;
  out.margin = average([](const TransformedPrediction& q) -> const Eigen::VectorXd& { return q.margin; });
  out.epistemic_fraction =
      average([](const TransformedPrediction& q) -> const Eigen::VectorXd& { return q.epistemic_fraction; });
  PredictiveDistribution& d = out.distribution;
  d.kind = kind;
  if (kind == DistributionKind::Bernoulli) {
    d.probability = average([](const TransformedPrediction& q) -> const Eigen::VectorXd& { return q.distribution.probability; });
    return out;
  }
  if (kind == DistributionKind::Hurdle)
    d.p_positive = average([](const TransformedPrediction& q) -> const Eigen::VectorXd& { return q.distribution.p_positive; });
  std::vector<const Eigen::VectorXd*> locs, scales;
  for (const auto* q : parts) {
    locs.push_back(&q->distribution.loc);
    scales.push_back(&q->distribution.scale);
  }
  distribution::pool_gaussians(locs, scales, d.loc, d.scale);
  return out;
}

double PlattScaling::apply(double margin) const { return 1.0 / (1.0 + std::exp(-(a * margin + b))); }

Eigen::VectorXd PlattScaling::apply(const Eigen::VectorXd& margin) const {
  Eigen::VectorXd p(margin.size());
  for (Eigen::Index i = 0; i < margin.size(); ++i) p[i] = apply(margin[i]);
  return p;
}

PlattScaling PlattScaling::fit(const Eigen::VectorXd& m, const Eigen::VectorXd& y) {
  if (m.size() != y.size() || m.size() == 0)
    throw InvalidArgument("Platt scaling: need as many margins as labels, at least one");
  PlattScaling s;
  s.fitted = true;
  double& a = s.a;
  double& b = s.b;
  const double ridge = 1e-6 * static_cast<double>(m.size());
  for (int it = 0; it < 100; ++it) {
    double ga = ridge * a, gb = ridge * b, haa = ridge, hab = 0, hbb = ridge;
    for (Eigen::Index i = 0; i < m.size(); ++i) {
      const double p = s.apply(m[i]);
      const double r = p - y[i], wi = std::max(p * (1.0 - p), 1e-12);
      ga += r * m[i];
      gb += r;
      haa += wi * m[i] * m[i];
      hab += wi * m[i];
      hbb += wi;
    }
    const double det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (std::abs(da) + std::abs(db) < 1e-10) break;
  }
  return s;
}

double choose_threshold(const Eigen::VectorXd& p, const Eigen::VectorXd& y) {
  if (p.size() != y.size()) throw InvalidArgument("choose threshold: probabilities and labels differ in size");
  double positives = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) positives += y[i] > 0.5 ? 1 : 0;
  const double negatives = static_cast<double>(y.size()) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  // Sweep the distinct probabilities in descending order: labelling every row with p >= t as 1 gives
  // the true-positive and true-negative counts at each cut.
  std::vector<Eigen::Index> order(static_cast<std::size_t>(p.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index i, Eigen::Index j) { return p[i] > p[j]; });
  double tp = 0, fp = 0;
  double best = thresholded_balanced_accuracy(p, y, 0.5), best_t = 0.5;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Eigen::Index i = order[k];
    (y[i] > 0.5 ? tp : fp) += 1;
    if (k + 1 < order.size() && p[order[k + 1]] == p[i]) continue;  // cut only between distinct values
    const double below = k + 1 < order.size() ? p[order[k + 1]] : 0.0;
    const double t = k + 1 < order.size() ? 0.5 * (p[i] + below) : p[i] * 0.5;
    const double ba = 0.5 * (tp / positives + (negatives - fp) / negatives);
    if (ba > best + 1e-12 || (std::abs(ba - best) <= 1e-12 && std::abs(t - 0.5) < std::abs(best_t - 0.5))) {
      best = ba;
      best_t = t;
    }
  }
  return best_t;
}

}  // namespace matopt
