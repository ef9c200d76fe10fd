// SPDX-License-Identifier: MIT
// Model-selection building blocks: values derived by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "matopt/core/error.hpp"
#include "matopt/models/selection.hpp"

using namespace matopt;

namespace {
Eigen::VectorXd vec(std::initializer_list<double> v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}
}  // namespace

TEST_CASE("inner fold assignment: balanced, seeded, in range", "[selection]") {
  const std::vector<int> f = inner_fold_assignment(23, 5, 7);
  REQUIRE(f.size() == 23);
  std::vector<int> count(5, 0);
  for (int v : f) {
    REQUIRE(v >= 0);
    REQUIRE(v < 5);
    ++count[static_cast<std::size_t>(v)];
  }
  // 23 = 5·4 + 3: three folds of 5, two of 4
  CHECK(*std::max_element(count.begin(), count.end()) == 5);
  CHECK(*std::min_element(count.begin(), count.end()) == 4);
  CHECK(inner_fold_assignment(23, 5, 7) == f);
  CHECK(inner_fold_assignment(23, 5, 8) != f);
  const std::vector<int> two = inner_fold_assignment(2, 2, 1);  // k = n: one row per fold
  CHECK(two[0] + two[1] == 1);
  CHECK_THROWS_AS(inner_fold_assignment(10, 1, 7), InvalidArgument);
  CHECK_THROWS_AS(inner_fold_assignment(10, 11, 7), InvalidArgument);
}

TEST_CASE("thresholded balanced accuracy by hand", "[selection]") {
  const Eigen::VectorXd p = vec({0.6, 0.4, 0.7, 0.2}), y = vec({1, 1, 0, 0});
  // t = 0.5: class 1 hits 1 of 2, class 0 hits 1 of 2 (0.7 mislabelled) → 0.5
  CHECK(thresholded_balanced_accuracy(p, y, 0.5) == Approx(0.5));
  // t = 0.3: class 1 hits 2 of 2, class 0 hits 1 of 2 → 0.75
  CHECK(thresholded_balanced_accuracy(p, y, 0.3) == Approx(0.75));
  // one class only: the mean over that class, 1 of 2
  CHECK(thresholded_balanced_accuracy(vec({0.6, 0.4}), vec({1, 1}), 0.5) == Approx(0.5));
  CHECK_THROWS_AS(thresholded_balanced_accuracy(p, vec({1, 0}), 0.5), InvalidArgument);
}

TEST_CASE("choose threshold: the midpoint of the best cut, 0.5 for one class", "[selection]") {
  // At 0.5 balanced accuracy is (1/2 + 1)/2 = 0.75; cutting between 0.3 and 0.2 labels both positives
  // and no negative: 1.0, at the midpoint t = 0.25.
  const Eigen::VectorXd p = vec({0.9, 0.3, 0.2, 0.1}), y = vec({1, 1, 0, 0});
  CHECK(choose_threshold(p, y) == Approx(0.25));
  CHECK(thresholded_balanced_accuracy(p, y, choose_threshold(p, y)) == Approx(1.0));
  CHECK(choose_threshold(p, vec({1, 1, 1, 1})) == 0.5);
  CHECK(choose_threshold(p, vec({0, 0, 0, 0})) == 0.5);
}

TEST_CASE("Platt scaling recovers a = 2, b = -1 and applies the logistic map", "[selection]") {
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> um(-2.0, 2.0), u(0.0, 1.0);
  const int n = 5000;
  Eigen::VectorXd m(n), y(n);
  for (int i = 0; i < n; ++i) {
    m[i] = um(rng);
    y[i] = u(rng) < 1.0 / (1.0 + std::exp(-(2.0 * m[i] - 1.0))) ? 1.0 : 0.0;
  }
  const PlattScaling s = PlattScaling::fit(m, y);
  CHECK(s.fitted);
  CHECK(s.a == Approx(2.0).margin(0.25));
  CHECK(s.b == Approx(-1.0).margin(0.15));
  PlattScaling fixed;
  fixed.a = 2.0;
  fixed.b = -1.0;
  CHECK(fixed.apply(0.5) == Approx(0.5));                            // 2·0.5 − 1 = 0
  CHECK(fixed.apply(1.0) == Approx(1.0 / (1.0 + std::exp(-1.0))));   // 0.7310585786
  const Eigen::VectorXd pv = fixed.apply(vec({0.5, 1.0}));
  CHECK(pv[0] == Approx(0.5));
  CHECK(pv[1] == Approx(0.7310585786300049));
  CHECK_THROWS_AS(PlattScaling::fit(m, y.head(3)), InvalidArgument);
}

TEST_CASE("pool predictions: probabilities averaged, Gaussians moment-matched", "[selection]") {
  TransformedPrediction a, b;
  a.distribution = PredictiveDistribution::bernoulli(vec({0.2, 0.8}));
  b.distribution = PredictiveDistribution::bernoulli(vec({0.6, 0.4}));
  const TransformedPrediction pb = pool_predictions({&a, &b});
  CHECK(pb.distribution.kind == DistributionKind::Bernoulli);
  CHECK(pb.distribution.probability[0] == Approx(0.4));
  CHECK(pb.distribution.probability[1] == Approx(0.6));

  TransformedPrediction g1, g2;
  g1.distribution = PredictiveDistribution::gaussian(vec({1.0}), vec({1.0}));
  g2.distribution = PredictiveDistribution::gaussian(vec({3.0}), vec({2.0}));
  const TransformedPrediction pg = pool_predictions({&g1, &g2});
  // loc (1 + 3)/2 = 2; scale² = (1 + 4)/2 + ((1 − 2)² + (3 − 2)²)/2 = 3.5
  CHECK(pg.distribution.kind == DistributionKind::Gaussian);
  CHECK(pg.distribution.loc[0] == Approx(2.0));
  CHECK(pg.distribution.scale[0] == Approx(std::sqrt(3.5)));

  CHECK_THROWS_AS(pool_predictions({&a, &g1}), InvalidArgument);
  CHECK_THROWS_AS(pool_predictions({}), InvalidArgument);
}

TEST_CASE("selection score: MAE of medians, or 1 - balanced accuracy", "[selection]") {
  const PredictiveDistribution g = PredictiveDistribution::gaussian(vec({1.0, 2.0}), vec({1.0, 3.0}));
  // |1 − 0| + |2 − 4| = 3, over 2 rows
  CHECK(selection_score(g, vec({0.0, 4.0})) == Approx(1.5));
  const PredictiveDistribution bern = PredictiveDistribution::bernoulli(vec({0.6, 0.4, 0.7, 0.2}));
  CHECK(selection_score(bern, vec({1, 1, 0, 0})) == Approx(0.5));  // balanced accuracy 0.5 (above)
  CHECK_THROWS_AS(selection_score(g, vec({0.0})), InvalidArgument);
}
