// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "models/model_fixtures.hpp"
#include "matopt/models/random_forest.hpp"

using namespace matopt;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using matopt::test::noisy_sine;
using matopt::test::same;
using matopt::test::same_prediction;
using matopt::test::sine_split;
using matopt::test::SineSplit;

namespace {

// One column of inputs, one row per value.
MatrixXd col(std::initializer_list<double> v) {
  MatrixXd X(static_cast<Eigen::Index>(v.size()), 1);
  Eigen::Index i = 0;
  for (double x : v) X(i++, 0) = x;
  return X;
}

VectorXd vec(std::initializer_list<double> v) {
  VectorXd y(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) y[i++] = x;
  return y;
}

// One deterministic CART tree on every row, all columns tried at every node.
ForestOptions single_tree() {
  ForestOptions o;
  o.trees = 1;
  o.bootstrap = false;
  o.max_features = 1.0;
  o.threads = 1;
  return o;
}

// Extremely randomized trees in their usual setting: every row, every column tried, fully grown.
ForestOptions extra_trees(int trees) {
  ForestOptions o = single_tree();
  o.trees = trees;
  o.split = "random";
  return o;
}

// Distinct values of v, e.g. the leaves a single tree's predictions come from.
std::size_t count_distinct(const VectorXd& v) {
  std::vector<double> d(v.data(), v.data() + v.size());
  std::sort(d.begin(), d.end());
  return static_cast<std::size_t>(std::unique(d.begin(), d.end()) - d.begin());
}

ForestOptions small_forest(int trees) {
  ForestOptions o;
  o.trees = trees;
  o.threads = 1;
  return o;
}

// x = 0..29 with the label y = 1 at every third row (a positive rate of 1/3).
void every_third_positive(MatrixXd& X, VectorXd& y) {
  X.resize(30, 1);
  y.resize(30);
  for (int i = 0; i < 30; ++i) {
    X(i, 0) = i;
    y[i] = i % 3 == 0 ? 1.0 : 0.0;
  }
}

}  // namespace

TEST_CASE("Forest: one tree splits a step at the midpoint and predicts pure leaves exactly", "[forest]") {
  // Cuts at 0.5, 1.5, 2.5; x <= 1.5 gives two pure halves (the whole sum of squares, 16, removed).
  RandomForest f(single_tree(), 1);
  CHECK_FALSE(f.is_fitted());
  f.fit(col({0, 1, 2, 3}), vec({1, 1, 5, 5}));
  CHECK(f.is_fitted());
  CHECK(f.kind() == "forest");
  const Prediction p = f.predict(col({0.7, 2.9, 1.5, 1.5000001, -10.0, 10.0}));
  REQUIRE(p.size() == 6);
  CHECK(p.mean[0] == 1.0);
  CHECK(p.mean[1] == 5.0);
  CHECK(p.mean[2] == 1.0);  // x <= cut goes left
  CHECK(p.mean[3] == 5.0);
  CHECK(p.mean[4] == 1.0);  // outside the data: the nearest leaf
  CHECK(p.mean[5] == 5.0);
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(p.epistemic_variance[i] == 0.0);  // one tree
    CHECK(p.aleatoric_variance[i] == 0.0);  // pure leaves
    CHECK(p.variance[i] == 0.0);
  }
  const MatrixXd t = f.tree_predictions(col({0.7, 2.9}));
  REQUIRE(t.rows() == 1);
  REQUIRE(t.cols() == 2);
  CHECK(t(0, 0) == 1.0);
  CHECK(t(0, 1) == 5.0);
  const VectorXd imp = f.feature_importance();
  REQUIRE(imp.size() == 1);
  CHECK(imp[0] == Approx(1.0).margin(1e-15));
}

TEST_CASE("Forest: max_depth and min_samples_leaf stop the tree; leaves carry their variance", "[forest]") {
  // y = {0,0,0,10,10,13}: SSE about the mean 5.5 is 187.5. Best root cut is x <= 2.5
  // (left {0,0,0} SSE 0, right {10,10,13} SSE 6); the others leave 75+4.5, 0+96.75, 120+0, 0+151.2.
  const MatrixXd X = col({0, 1, 2, 3, 4, 5});
  const VectorXd y = vec({0, 0, 0, 10, 10, 13});
  const MatrixXd q = col({0, 3, 5});

  SECTION("max_depth 1: two leaves, the right one with population variance of {10,10,13} = 6/3") {
    ForestOptions o = single_tree();
    o.max_depth = 1;
    RandomForest f(o, 2);
    f.fit(X, y);
    const Prediction p = f.predict(q);
    CHECK(p.mean[0] == Approx(0.0).margin(1e-12));
    CHECK(p.mean[1] == Approx(11.0).margin(1e-12));
    CHECK(p.mean[2] == Approx(11.0).margin(1e-12));
    CHECK(p.aleatoric_variance[0] == Approx(0.0).margin(1e-12));
    CHECK(p.aleatoric_variance[2] == Approx(2.0).margin(1e-12));
    CHECK(p.epistemic_variance[2] == Approx(0.0).margin(1e-12));
    CHECK(p.variance[2] == Approx(2.0).margin(1e-12));
  }
  SECTION("unlimited depth: the right node splits again at x <= 4.5 into pure leaves") {
    RandomForest f(single_tree(), 2);
    f.fit(X, y);
    const Prediction p = f.predict(q);
    CHECK(p.mean[0] == Approx(0.0).margin(1e-12));
    CHECK(p.mean[1] == Approx(10.0).margin(1e-12));
    CHECK(p.mean[2] == Approx(13.0).margin(1e-12));
    CHECK(p.variance.cwiseAbs().maxCoeff() <= 1e-12);
  }
  SECTION("identical trees (no bootstrap, one column) have no epistemic variance") {
    ForestOptions o = single_tree();
    o.trees = 5;
    RandomForest f(o, 2);
    f.fit(X, y);
    const Prediction p = f.predict(q);
    CHECK(p.mean[2] == Approx(13.0).margin(1e-12));
    CHECK(p.epistemic_variance.cwiseAbs().maxCoeff() <= 1e-12);
    const MatrixXd t = f.tree_predictions(q);
    REQUIRE(t.rows() == 5);
    for (int k = 1; k < 5; ++k) CHECK(same(VectorXd(t.row(k).transpose()), VectorXd(t.row(0).transpose())));
  }
  SECTION("min_samples_leaf 2: only cuts leaving 2 rows per side; {10,10,13} (3 < 4 rows) stays a leaf") {
    ForestOptions o = single_tree();
    o.min_samples_leaf = 2;
    RandomForest f(o, 2);
    f.fit(X, y);
    const Prediction p = f.predict(q);
    CHECK(p.mean[0] == Approx(0.0).margin(1e-12));
    CHECK(p.mean[2] == Approx(11.0).margin(1e-12));
    CHECK(p.aleatoric_variance[2] == Approx(2.0).margin(1e-12));
  }
  SECTION("min_samples_leaf 4: 6 rows < 2*4, the root is the only leaf") {
    ForestOptions o = single_tree();
    o.min_samples_leaf = 4;
    RandomForest f(o, 2);
    f.fit(X, y);
    const Prediction p = f.predict(q);
    for (int i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(p.mean[i] == Approx(5.5).margin(1e-12));                // 33 / 6
      CHECK(p.aleatoric_variance[i] == Approx(31.25).epsilon(1e-12));  // 187.5 / 6
      CHECK(p.epistemic_variance[i] == Approx(0.0).margin(1e-12));
      CHECK(p.variance[i] == Approx(31.25).epsilon(1e-12));
    }
    CHECK((f.feature_importance().array() == 0.0).all());
  }
}

TEST_CASE("Forest: rows with identical inputs share a leaf and give it their variance", "[forest]") {
  // x = {0,0,1,1}: the only cut is 0.5; then each node's column is constant, so no further split.
  RandomForest f(single_tree(), 4);
  f.fit(col({0, 0, 1, 1}), vec({0, 2, 4, 6}));
  const Prediction p = f.predict(col({0, 1}));
  CHECK(p.mean[0] == Approx(1.0).margin(1e-12));
  CHECK(p.mean[1] == Approx(5.0).margin(1e-12));
  CHECK(p.aleatoric_variance[0] == Approx(1.0).margin(1e-12));  // population variance of {0, 2}
  CHECK(p.aleatoric_variance[1] == Approx(1.0).margin(1e-12));  // of {4, 6}
  CHECK(p.epistemic_variance[0] == Approx(0.0).margin(1e-12));
}

TEST_CASE("Forest: feature importance goes to the only column that matters", "[forest]") {
  // Column 1 is a perfect step; column 0 is distinct junk whose y order (0,0,1,1,0,1) has no clean cut.
  MatrixXd X(6, 2);
  X << 0.3, 0, -1.2, 1, 2.5, 2, 0.9, 3, 4.1, 4, 1.7, 5;
  const VectorXd y = vec({0, 0, 0, 1, 1, 1});

  SECTION("one depth-1 tree on every row") {
    ForestOptions o = single_tree();
    o.max_depth = 1;
    RandomForest f(o, 5);
    f.fit(X, y);
    const VectorXd imp = f.feature_importance();
    REQUIRE(imp.size() == 2);
    CHECK(imp[0] == 0.0);
    CHECK(imp[1] == Approx(1.0).margin(1e-15));
    MatrixXd q(2, 2);
    q << 100.0, 2.4, -100.0, 2.6;  // column 0 is ignored
    const Prediction p = f.predict(q);
    CHECK(p.mean[0] == Approx(0.0).margin(1e-12));
    CHECK(p.mean[1] == Approx(1.0).margin(1e-12));
  }
  SECTION("unlimited depth: the step leaves pure leaves, so nothing is left for column 0") {
    RandomForest f(single_tree(), 5);
    f.fit(X, y);
    const VectorXd imp = f.feature_importance();
    CHECK(imp[0] == 0.0);
    CHECK(imp[1] == Approx(1.0).margin(1e-15));
  }
}

TEST_CASE("Forest: columns constant within a node do not count towards max_features", "[forest]") {
  // Columns 0 and 2 are constant; max_features 0.01 of 3 columns -> 1 column per node, which must be
  // column 1 (the only non-constant one), whatever the seed.
  MatrixXd X(4, 3);
  X << 7, 0, -2, 7, 1, -2, 7, 2, -2, 7, 3, -2;
  ForestOptions o = single_tree();
  o.max_features = 0.01;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    CAPTURE(seed);
    RandomForest f(o, seed);
    f.fit(X, vec({1, 1, 5, 5}));
    MatrixXd q(2, 3);
    q << 7, 0.7, -2, 7, 2.9, -2;
    const Prediction p = f.predict(q);
    CHECK(p.mean[0] == Approx(1.0).margin(1e-12));
    CHECK(p.mean[1] == Approx(5.0).margin(1e-12));
    const VectorXd imp = f.feature_importance();
    CHECK(imp[0] == 0.0);
    CHECK(imp[1] == Approx(1.0).margin(1e-15));
    CHECK(imp[2] == 0.0);
  }
}

TEST_CASE("Forest: with fewer bins than values a step at the median is still found", "[forest]") {
  // 10 distinct values, max_bins 2: the one cut sits at the median, in or next to the gap between 4
  // and 10, so the tree finds the step (a tree without the split would predict 0.5 everywhere).
  ForestOptions o = single_tree();
  o.max_bins = 2;
  RandomForest f(o, 6);
  f.fit(col({0, 1, 2, 3, 4, 10, 11, 12, 13, 14}), vec({0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
  const Prediction p = f.predict(col({0, 2, 12, 14}));
  CHECK(p.mean[0] < 0.5);
  CHECK(p.mean[1] < 0.5);
  CHECK(p.mean[2] > 0.5);
  CHECK(p.mean[3] > 0.5);
  CHECK((p.mean.array() >= 0.0).all());
  CHECK((p.mean.array() <= 1.0).all());
  CHECK(p.variance.allFinite());
}

TEST_CASE("Forest: predictive moments follow the law of total variance over the trees", "[forest]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(30, 1, X, y, 0.2);
  noisy_sine(25, 2, Xt, yt, 0.0);
  ForestOptions o = small_forest(50);
  o.min_samples_leaf = 3;  // leaves of >= 3 rows carry within-leaf variance
  RandomForest f(o, 3);
  f.fit(X, y);
  const Prediction p = f.predict(Xt);
  const MatrixXd t = f.tree_predictions(Xt);
  REQUIRE(t.rows() == 50);
  REQUIRE(t.cols() == 25);
  REQUIRE(p.size() == 25);
  for (int j = 0; j < 25; ++j) {
    CAPTURE(j);
    const double m = t.col(j).mean();
    const double v = (t.col(j).array() - m).square().sum() / 50.0;
    CHECK(p.mean[j] == Approx(m).margin(1e-12));
    CHECK(p.epistemic_variance[j] == Approx(v).margin(1e-12));
    CHECK(p.variance[j] == Approx(p.epistemic_variance[j] + p.aleatoric_variance[j]).margin(1e-12));
    CHECK(p.aleatoric_variance[j] >= 0.0);
  }
  // Leaf means are averages of training targets (up to rounding of the average).
  CHECK(t.minCoeff() >= y.minCoeff() - 1e-12);
  CHECK(t.maxCoeff() <= y.maxCoeff() + 1e-12);
  CHECK(p.epistemic_variance.maxCoeff() > 0.0);
  CHECK(p.aleatoric_variance.maxCoeff() > 0.0);
  // A rough fit of the underlying function.
  const double rmse = std::sqrt((p.mean - yt).squaredNorm() / yt.size());
  CHECK(rmse < 0.5);
  const VectorXd imp = f.feature_importance();
  REQUIRE(imp.size() == 2);
  CHECK(imp.sum() == Approx(1.0).margin(1e-12));
  CHECK(imp.minCoeff() >= 0.0);
  CHECK(imp[0] > imp[1]);  // sin(x0) spans [-1, 1], 0.5 * x1 only [0, 0.5]
}

TEST_CASE("Forest: bit-identical for the same seed, whatever the thread count", "[forest]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(40, 4, X, y, 0.2);
  noisy_sine(50, 5, Xt, yt, 0.0);
  ForestOptions o1 = small_forest(40);
  ForestOptions o3 = o1;
  o3.threads = 3;
  RandomForest a(o1, 11), b(o1, 11), c(o3, 11), other(o1, 12);
  a.fit(X, y);
  b.fit(X, y);
  c.fit(X, y);
  other.fit(X, y);
  const Prediction pa = a.predict(Xt);
  CHECK(same_prediction(pa, b.predict(Xt)));
  CHECK(same_prediction(pa, c.predict(Xt)));
  CHECK(same(a.tree_predictions(Xt), c.tree_predictions(Xt)));
  CHECK(same(a.feature_importance(), c.feature_importance()));
  CHECK(same(a.sample_joint(Xt, 7, 9), c.sample_joint(Xt, 7, 9)));
  CHECK((pa.mean.array() != other.predict(Xt).mean.array()).any());

  // Known noise variances are ignored by the trees.
  RandomForest d(o1, 11);
  d.fit(X, y, VectorXd::Constant(40, 0.3));
  CHECK(same_prediction(pa, d.predict(Xt)));

  // Refitting starts over from the seed.
  a.fit(X, y);
  CHECK(same_prediction(pa, a.predict(Xt)));
}

TEST_CASE("Forest: constant targets predict the constant with no variance and no importance", "[forest]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(20, 6, X, y, 0.1);
  noisy_sine(10, 7, Xt, yt, 0.0);
  RandomForest f(small_forest(20), 8);
  f.fit(X, VectorXd::Constant(20, 4.5));
  const Prediction p = f.predict(Xt);
  CHECK(p.mean.isApproxToConstant(4.5, 1e-12));
  CHECK(p.variance.cwiseAbs().maxCoeff() <= 1e-12);
  CHECK(p.epistemic_variance.cwiseAbs().maxCoeff() <= 1e-12);
  CHECK(p.aleatoric_variance.cwiseAbs().maxCoeff() <= 1e-12);
  const VectorXd imp = f.feature_importance();
  REQUIRE(imp.size() == 2);
  CHECK((imp.array() == 0.0).all());
  CHECK(f.sample_joint(Xt, 3, 1).isApproxToConstant(4.5, 1e-12));
}

TEST_CASE("Forest: joint samples are Gaussian with the trees' mean and covariance", "[forest]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(30, 1, X, y, 0.2);
  noisy_sine(6, 2, Xt, yt, 0.0);
  const int T = 50, ns = 4000;
  RandomForest f(small_forest(T), 3);
  f.fit(X, y);
  const MatrixXd S = f.sample_joint(Xt, ns, 123);
  REQUIRE(S.rows() == ns);
  REQUIRE(S.cols() == 6);
  CHECK(same(S, f.sample_joint(Xt, ns, 123)));
  CHECK(!same(MatrixXd(S.topRows(20)), f.sample_joint(Xt, 20, 124)));
  CHECK(f.sample_joint(Xt, 0, 1).rows() == 0);

  // The trees' covariance, by hand from tree_predictions (population normalization, 1/T).
  const MatrixXd P = f.tree_predictions(Xt);
  const Eigen::RowVectorXd mu = P.colwise().mean();
  const MatrixXd C = (P.rowwise() - mu).transpose() * (P.rowwise() - mu) / T;
  const Prediction p = f.predict(Xt);
  for (int j = 0; j < 6; ++j) CHECK(C(j, j) == Approx(p.epistemic_variance[j]).epsilon(1e-12));
  // Sample moments: mean within 5 standard errors; covariance within 5 standard errors of a
  // Gaussian sample covariance, sqrt((C_jk² + C_jj C_kk) / ns).
  const Eigen::RowVectorXd m = S.colwise().mean();
  const MatrixXd Sc = (S.rowwise() - m).transpose() * (S.rowwise() - m) / ns;
  for (int j = 0; j < 6; ++j) {
    CAPTURE(j);
    CHECK(m[j] == Approx(mu[j]).margin(5 * std::sqrt(C(j, j) / ns) + 1e-12));
    for (int k = 0; k < 6; ++k) {
      CAPTURE(k);
      CHECK(Sc(j, k) == Approx(C(j, k)).margin(5 * std::sqrt((C(j, k) * C(j, k) + C(j, j) * C(k, k)) / ns) + 1e-12));
    }
  }
  // Unlike whole trees, samples reach beyond every tree's prediction (what improvement needs).
  const double lowest_tree = P.minCoeff();
  CHECK(S.minCoeff() < lowest_tree);
}

TEST_CASE("Forest: a 0/1 target gives class probabilities", "[forest]") {
  // 40 rows x = -3.9, -3.7, ..., 3.9; y = 1 where x > 0. Fully grown trees have pure leaves, and a
  // tree's class cut lies between its largest sampled negative and smallest sampled positive x: -2
  // and +2 fall on the wrong side only if none of the 10 rows between them and 0 is in the bootstrap
  // sample (probability 0.75^40 ~ 1e-5 per tree).
  MatrixXd X(40, 1);
  VectorXd y(40);
  for (int i = 0; i < 40; ++i) {
    X(i, 0) = -3.9 + 0.2 * i;
    y[i] = X(i, 0) > 0 ? 1.0 : 0.0;
  }
  RandomForest f(small_forest(60), 9);
  f.fit(X, y);
  const Prediction p = f.predict(col({-2.0, 2.0}));
  // Pure leaves hold exactly 0 or 1, so the averages are exact too.
  CHECK(p.mean[0] == 0.0);
  CHECK(p.mean[1] == 1.0);
  CHECK(p.variance.cwiseAbs().maxCoeff() == 0.0);
  MatrixXd grid(101, 1);
  for (int i = 0; i <= 100; ++i) grid(i, 0) = -5.0 + 0.1 * i;
  const Prediction g = f.predict(grid);
  CHECK((g.mean.array() >= 0.0).all());
  CHECK((g.mean.array() <= 1.0).all());
  // Probabilities do not decrease from left to right on average: the left half is below the right.
  CHECK(g.mean.head(50).mean() < g.mean.tail(50).mean());
}

TEST_CASE("Forest: save/load, the registry and clone give identical predictions", "[forest]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(40, 10, X, y, 0.1);
  noisy_sine(15, 11, Xt, yt, 0.0);
  ForestOptions o = small_forest(20);
  o.min_samples_leaf = 2;
  o.max_bins = 16;  // fewer bins than distinct values: the cuts must survive the round trip too
  RandomForest f(o, 5);
  f.fit(X, y);
  const Prediction p = f.predict(Xt);

  SECTION("through an HDF5 file") {
    Archive ar;
    f.save(ar.child("surrogate"));
    const auto path = std::filesystem::temp_directory_path() / "matopt_test_forest_roundtrip.h5";
    save_archive(ar, path, "test-forest", 1);
    const Archive back = load_archive(path, "test-forest", 1);
    std::filesystem::remove(path);

    RandomForest g;
    CHECK_FALSE(g.is_fitted());
    g.load(back.child("surrogate"));
    CHECK(g.is_fitted());
    CHECK(same_prediction(p, g.predict(Xt)));
    CHECK(same(f.tree_predictions(Xt), g.tree_predictions(Xt)));
    CHECK(same(f.feature_importance(), g.feature_importance()));
    CHECK(same(f.sample_joint(Xt, 5, 3), g.sample_joint(Xt, 5, 3)));
    CHECK(g.options().trees == 20);
    CHECK(g.options().min_samples_leaf == 2);
    CHECK(g.options().max_bins == 16);

    const auto s = load_surrogate(back.child("surrogate"));
    REQUIRE(s->kind() == "forest");
    CHECK(s->is_fitted());
    CHECK(same_prediction(p, s->predict(Xt)));
  }
  SECTION("in memory") {
    Archive ar;
    f.save(ar);
    RandomForest g(ForestOptions{}, 99);
    g.load(ar);
    CHECK(same_prediction(p, g.predict(Xt)));
  }
  SECTION("registry") {
    const std::string json = R"({"trees": 20, "min_samples_leaf": 2, "max_bins": 16, "threads": 1})";
    const auto s = make_surrogate("forest", json, 5);
    REQUIRE(s->kind() == "forest");
    CHECK_FALSE(s->is_fitted());
    const auto* rf = dynamic_cast<const RandomForest*>(s.get());
    REQUIRE(rf != nullptr);
    CHECK(rf->options().trees == 20);
    s->fit(X, y);
    CHECK(same_prediction(p, s->predict(Xt)));
    CHECK_THROWS_AS(make_surrogate("forest", R"({"tress": 3})"), InvalidArgument);
  }
  SECTION("clone and copies") {
    const auto c = f.clone();
    REQUIRE(c->kind() == "forest");
    CHECK(same_prediction(p, c->predict(Xt)));
    RandomForest copy(f);
    RandomForest assigned;
    assigned = f;
    CHECK(same_prediction(p, copy.predict(Xt)));
    CHECK(same_prediction(p, assigned.predict(Xt)));
    // The copies are independent of the original.
    f.fit(X.topRows(10), y.head(10));
    CHECK(same_prediction(p, c->predict(Xt)));
    CHECK(same_prediction(p, copy.predict(Xt)));
  }
}

TEST_CASE("Forest options: JSON round trip and validation", "[forest]") {
  const ForestOptions d = ForestOptions::from_json("");
  CHECK(d.trees == 300);
  CHECK(d.max_features == Approx(1.0 / 3.0));
  CHECK(d.min_samples_leaf == 1);
  CHECK(d.max_depth == 0);
  CHECK(d.max_bins == 256);
  CHECK(d.bootstrap);
  CHECK(d.split == "best");
  CHECK(d.trim == 0.0);
  CHECK(d.threads == 0);

  const ForestOptions o = ForestOptions::from_json(
      R"({"trees": 17, "max_features": 0.75, "min_samples_leaf": 3, "max_depth": 5, "max_bins": 32,
          "bootstrap": false, "split": "random", "trim": 0.25, "threads": 2})");
  CHECK(o.trees == 17);
  CHECK(o.max_features == 0.75);
  CHECK(o.min_samples_leaf == 3);
  CHECK(o.max_depth == 5);
  CHECK(o.max_bins == 32);
  CHECK_FALSE(o.bootstrap);
  CHECK(o.split == "random");
  CHECK(o.trim == 0.25);
  CHECK(o.threads == 2);
  const ForestOptions back = ForestOptions::from_json(o.to_json());
  CHECK(back.trees == 17);
  CHECK(back.max_features == 0.75);
  CHECK(back.min_samples_leaf == 3);
  CHECK(back.max_depth == 5);
  CHECK(back.max_bins == 32);
  CHECK_FALSE(back.bootstrap);
  CHECK(back.split == "random");
  CHECK(back.trim == 0.25);
  CHECK(back.threads == 2);
  CHECK(ForestOptions::from_json(d.to_json()).max_features == d.max_features);
  // The default split is not written, so files of CART forests stay readable by matopt 0.6.
  CHECK(d.to_json().find("split") == std::string::npos);
  CHECK(d.to_json().find("trim") == std::string::npos);  // nor trim = 0, for matopt 0.7

  CHECK_THROWS_AS(ForestOptions::from_json(R"({"tress": 10})"), InvalidArgument);
  CHECK_THROWS_WITH(ForestOptions::from_json(R"({"tress": 10})"),
                    Catch::Contains("tress") && Catch::Contains("min_samples_leaf"));

  CHECK_NOTHROW(d.validate());
  auto bad = [](auto edit) {
    ForestOptions b;
    edit(b);
    return b;
  };
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.trees = 0; }).validate(), InvalidArgument);
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.max_features = 0.0; }).validate(), InvalidArgument);
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.max_features = 1.5; }).validate(), InvalidArgument);
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.min_samples_leaf = 0; }).validate(), InvalidArgument);
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.max_depth = -1; }).validate(), InvalidArgument);
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.max_bins = 1; }).validate(), InvalidArgument);
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.max_bins = 257; }).validate(), InvalidArgument);
  CHECK_THROWS_WITH(bad([](ForestOptions& b) { b.max_bins = 1; }).validate(), Catch::Contains("max_bins"));
  CHECK_THROWS_WITH(bad([](ForestOptions& b) { b.split = "Random"; }).validate(),
                    Catch::Contains("split") && Catch::Contains("\"Random\""));
  CHECK_THROWS_AS(ForestOptions::from_json(R"({"split": 1})"), InvalidArgument);
  CHECK_THROWS_WITH(bad([](ForestOptions& b) { b.trim = 0.5; }).validate(), Catch::Contains("trim"));
  CHECK_THROWS_WITH(ForestOptions::from_json(R"({"trim": 0.5})"), Catch::Contains("trim must be in [0, 0.5)"));
  CHECK_THROWS_AS(ForestOptions::from_json(R"({"trim": "x"})"), InvalidArgument);
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.trim = -0.01; }).validate(), InvalidArgument);
  CHECK_THROWS_AS(bad([](ForestOptions& b) { b.trim = std::nan(""); }).validate(), InvalidArgument);
  CHECK_NOTHROW(bad([](ForestOptions& b) { b.trim = 0.49; }).validate());
  CHECK_NOTHROW(bad([](ForestOptions& b) {
                  b.trees = 1;
                  b.max_features = 1.0;
                  b.max_depth = 0;
                  b.max_bins = 2;
                }).validate());
  CHECK_NOTHROW(bad([](ForestOptions& b) { b.max_bins = 256; }).validate());
  // Invalid values are refused whether from_json checks them itself or validate() does.
  CHECK_THROWS_AS(ForestOptions::from_json(R"({"min_samples_leaf": 0})").validate(), InvalidArgument);
}

TEST_CASE("Forest bad input: clear errors", "[forest]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(20, 8, X, y, 0.1);
  noisy_sine(10, 9, Xt, yt, 0.0);
  RandomForest f(small_forest(5), 1);

  CHECK_THROWS_AS(f.predict(Xt), InvalidArgument);  // not fitted
  CHECK_THROWS_AS(f.fit(MatrixXd(0, 2), VectorXd(0)), DataError);
  CHECK_THROWS_AS(f.fit(X, y.head(5)), DataError);
  MatrixXd Xb = X;
  Xb(4, 1) = std::nan("");
  CHECK_THROWS_AS(f.fit(Xb, y), DataError);
  Xb(4, 1) = INFINITY;
  CHECK_THROWS_AS(f.fit(Xb, y), DataError);
  VectorXd yb = y;
  yb[2] = -INFINITY;
  CHECK_THROWS_AS(f.fit(X, yb), DataError);
  yb[2] = std::nan("");
  CHECK_THROWS_AS(f.fit(X, yb), DataError);

  f.fit(X, y);
  CHECK_THROWS_AS(f.predict(MatrixXd::Zero(2, 3)), DataError);
  MatrixXd Xtb = Xt;
  Xtb(0, 0) = std::nan("");
  CHECK_THROWS_AS(f.predict(Xtb), DataError);
  CHECK(f.predict(Xt).mean.allFinite());

  // A single row predicts its value everywhere.
  RandomForest one(small_forest(5), 1);
  one.fit(X.topRows(1), y.head(1));
  const Prediction p = one.predict(Xt);
  CHECK(p.mean.isApproxToConstant(y[0], 1e-12));
  CHECK(p.variance.cwiseAbs().maxCoeff() <= 1e-12);
}

TEST_CASE("Forest: a 0/1 label with a positive rate of 1/3 keeps every leaf and mean within [0, 1]", "[forest]") {
  // Mean 1/3 is not exact in binary; leaf values are taken from the leaf's own targets, so a pure
  // leaf is exactly 0 or 1 and no average of them leaves [0, 1].
  MatrixXd X;
  VectorXd y;
  every_third_positive(X, y);
  RandomForest f(small_forest(25), 4);
  f.fit(X, y);
  const MatrixXd P = f.tree_predictions(X);
  CHECK(((P.array() == 0.0) || (P.array() == 1.0)).all());  // every training x is its own leaf
  MatrixXd grid(301, 1);
  for (int i = 0; i <= 300; ++i) grid(i, 0) = -1.0 + 0.1 * i;
  const Prediction g = f.predict(grid);
  CHECK((g.mean.array() >= 0.0).all());
  CHECK((g.mean.array() <= 1.0).all());
  // Exactly at the training rows a tree that sampled the row predicts its label.
  const Prediction at = f.predict(X);
  CHECK(at.mean[0] > 0.5);
  CHECK(at.mean[1] < 0.5);
}

TEST_CASE("Forest: a corrupt archive is an IOError and leaves the model as it was", "[forest]") {
  MatrixXd X;
  VectorXd y;
  noisy_sine(20, 2, X, y, 0.1);
  RandomForest f(small_forest(3), 1);
  f.fit(X, y);
  Archive good;
  f.save(good);
  const Prediction before = f.predict(X);

  auto corrupt = [&](const std::function<void(Archive&)>& edit) {
    Archive a = good;
    edit(a);
    RandomForest g = f;
    CHECK_THROWS_AS(g.load(a), IOError);
    CHECK(same_prediction(g.predict(X), before));
  };
  // A child at or before its parent (a loop), a child past the end, a column past the inputs.
  const std::vector<std::int64_t> feature = good.integers("feature"), left = good.integers("left");
  std::size_t internal = 0;
  while (feature[internal] < 0) ++internal;  // the root splits (20 distinct x), so internal = 0
  corrupt([&](Archive& a) {
    auto l = left;
    l[internal] = static_cast<std::int64_t>(internal);
    a.set("left", l);
  });
  corrupt([&](Archive& a) {
    auto l = left;
    l[internal] = good.integers("tree_offsets")[1] - 1;  // its right sibling would be past the tree
    a.set("left", l);
  });
  corrupt([&](Archive& a) {
    auto fe = feature;
    fe[internal] = 2;  // X has 2 columns
    a.set("feature", fe);
  });
  corrupt([&](Archive& a) {
    auto off = good.integers("tree_offsets");
    off.back() -= 1;
    a.set("tree_offsets", off);
  });
  corrupt([&](Archive& a) {  // tree 0 would run past the node arrays before tree 1 looked wrong
    auto off = good.integers("tree_offsets");
    off[1] = off.back() + 100;
    a.set("tree_offsets", off);
  });
  corrupt([&](Archive& a) { a.set_attr("kind", std::string("gp")); });
  // A failed fit keeps the previous one too.
  RandomForest g = f;
  VectorXd bad = y;
  bad[3] = std::nan("");
  CHECK_THROWS_AS(g.fit(X, bad), DataError);
  CHECK(same_prediction(g.predict(X), before));
}

TEST_CASE("Extra trees: the mean between two points is the share of thresholds below it", "[forest]") {
  // Rows x = 0 and x = 1 with y = 0 and 1. Every tree cuts once at t ~ U[0, 1) and predicts 1 at x
  // exactly when t < x, so the forest mean at x in [0, 1) is the share of trees with t < x, which
  // tends to x: linear interpolation, where CART puts a step at the midpoint. With T = 4000 trees the
  // share's standard deviation is at most 0.008.
  RandomForest et(extra_trees(4000), 3);
  et.fit(col({0, 1}), vec({0, 1}));
  const Prediction p = et.predict(col({0.0, 0.25, 0.5, 0.75, 1.0, -3.0, 4.0}));
  CHECK(p.mean[0] == 0.0);  // t >= 0 = x: every tree sends x = 0 left
  CHECK(p.mean[1] == Approx(0.25).margin(0.035));
  CHECK(p.mean[2] == Approx(0.5).margin(0.035));
  CHECK(p.mean[3] == Approx(0.75).margin(0.035));
  CHECK(p.mean[4] == 1.0);  // t < 1 = x: every tree sends x = 1 right
  CHECK(p.mean[5] == 0.0);
  CHECK(p.mean[6] == 1.0);
  // Each tree predicts 0 or 1, so the variance between trees is m (1 - m); leaves are pure.
  for (int i = 0; i < 7; ++i) {
    CAPTURE(i);
    CHECK(p.epistemic_variance[i] == Approx(p.mean[i] * (1 - p.mean[i])).margin(1e-12));
    CHECK(p.aleatoric_variance[i] == 0.0);
  }
  // Each tree's threshold lies in [0, 1), so every tree predicts the training rows exactly.
  const MatrixXd t = et.tree_predictions(col({0.0, 1.0}));
  CHECK((t.col(0).array() == 0.0).all());
  CHECK((t.col(1).array() == 1.0).all());

  RandomForest cart(single_tree(), 3);
  cart.fit(col({0, 1}), vec({0, 1}));
  CHECK(cart.predict(col({0.25})).mean[0] == 0.0);
  CHECK(cart.predict(col({0.75})).mean[0] == 1.0);
}

TEST_CASE("Extra trees: grown on every row they fit the training targets; seeded and thread-invariant", "[forest]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(40, 4, X, y, 0.2);
  noisy_sine(30, 5, Xt, yt, 0.0);
  ForestOptions o1 = extra_trees(25);
  ForestOptions o3 = o1;
  o3.threads = 3;
  RandomForest a(o1, 5), b(o3, 5), other(o1, 6);
  a.fit(X, y);
  b.fit(X, y);
  other.fit(X, y);
  // Distinct inputs and fully grown trees: every leaf is one row, so each tree reproduces y.
  const Prediction fit = a.predict(X);
  CHECK((fit.mean - y).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(fit.epistemic_variance.maxCoeff() < 1e-20);
  CHECK(fit.aleatoric_variance.maxCoeff() == 0.0);

  const Prediction pa = a.predict(Xt);
  CHECK(same_prediction(pa, b.predict(Xt)));
  CHECK(same(a.feature_importance(), b.feature_importance()));
  CHECK((pa.mean.array() != other.predict(Xt).mean.array()).any());
  CHECK(pa.epistemic_variance.minCoeff() > 0.0);  // away from the rows the trees disagree

  // The options, random split included, survive save/load.
  Archive ar;
  a.save(ar);
  RandomForest loaded;
  loaded.load(ar);
  CHECK(loaded.options().split == "random");
  CHECK(same_prediction(pa, loaded.predict(Xt)));
}

TEST_CASE("Extra trees: min_samples_leaf and max_depth hold with random thresholds", "[forest]") {
  MatrixXd X;
  VectorXd y;
  noisy_sine(60, 3, X, y, 0.1);
  ForestOptions o = extra_trees(1);
  o.min_samples_leaf = 7;
  RandomForest leafy(o, 2);
  leafy.fit(X, y);
  // Every leaf holds >= 7 of the 60 rows, so a single tree has at most 8 distinct leaf values.
  const std::size_t leaves = count_distinct(leafy.predict(X).mean);
  CHECK(leaves <= 8);
  CHECK(leaves >= 2);

  o.min_samples_leaf = 1;
  o.max_depth = 1;
  RandomForest stump(o, 2);
  stump.fit(X, y);
  CHECK(count_distinct(stump.predict(X).mean) == 2);
}

TEST_CASE("Extra trees: 0/1 labels are split to pure leaves even where a random cut removes nothing", "[forest]") {
  // y = 1 at every third row of x = 0..29. A single random cut often removes no variance here (e.g.
  // {0, 1} | {1, 0}); the node must still split, as in Geurts et al., so that fully grown trees end
  // in pure leaves and reproduce the labels exactly.
  MatrixXd X;
  VectorXd y;
  every_third_positive(X, y);
  RandomForest f(extra_trees(50), 4);
  f.fit(X, y);
  const MatrixXd t = f.tree_predictions(X);
  for (int i = 0; i < 30; ++i) {
    CAPTURE(i);
    CHECK((t.col(i).array() == y[i]).all());
  }
  CHECK(f.predict(X).aleatoric_variance.maxCoeff() == 0.0);
}

TEST_CASE("Extra trees: thresholds stay uniform on a column spanning the largest doubles", "[forest]") {
  // x = ±1e308: hi − lo overflows, so lo + u (hi − lo) would be infinite for every draw. Each tree's
  // one cut must still be uniform over the range, so the mean interpolates linearly, as for [0, 1].
  RandomForest f(extra_trees(4000), 8);
  f.fit(col({-1e308, 1e308}), vec({0, 1}));
  const Prediction p = f.predict(col({-5e307, 0.0, 5e307, -1e308, 1e308}));
  CHECK(p.mean[0] == Approx(0.25).margin(0.035));
  CHECK(p.mean[1] == Approx(0.5).margin(0.035));
  CHECK(p.mean[2] == Approx(0.75).margin(0.035));
  CHECK(p.mean[3] == 0.0);
  CHECK(p.mean[4] == 1.0);
}

TEST_CASE("Extra trees: bins play no part in random splits", "[forest]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(50, 6, X, y, 0.2);
  noisy_sine(20, 7, Xt, yt, 0.0);
  ForestOptions coarse = extra_trees(20), fine = extra_trees(20);
  coarse.max_bins = 2;
  fine.max_bins = 256;
  RandomForest a(coarse, 1), b(fine, 1);
  a.fit(X, y);
  b.fit(X, y);
  CHECK(same_prediction(a.predict(Xt), b.predict(Xt)));
  // ... whereas CART with two bins per column is a different, coarser forest.
  ForestOptions cart = fine;
  cart.split = "best";
  cart.max_bins = 2;
  RandomForest c(cart, 1);
  c.fit(X, y);
  CHECK((c.predict(Xt).mean.array() != b.predict(Xt).mean.array()).any());
}

TEST_CASE("Trimmed forest: between two points the mean drops the trees' extreme votes", "[forest]") {
  // As above, every extra tree predicts 0 or 1 at x in (0, 1). With n of the T = 10 trees voting 1
  // and k = floor(0.2 T) = 2 values dropped from each end, the trimmed mean is (n - k) / (T - 2k),
  // clamped to [0, 1]: all ten votes 0/1 are the two extremes, so trimming moves the mean away from
  // the plain n / T towards the majority.
  const int T = 10, k = 2;
  ForestOptions o = extra_trees(T);
  o.trim = 0.2;
  RandomForest trimmed(o, 3);
  trimmed.fit(col({0, 1}), vec({0, 1}));
  const MatrixXd x = col({0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0});
  const MatrixXd t = trimmed.tree_predictions(x);
  const Prediction p = trimmed.predict(x);
  std::vector<int> seen_votes;
  for (int i = 0; i < x.rows(); ++i) {
    CAPTURE(i);
    const int n = static_cast<int>(t.col(i).sum());
    seen_votes.push_back(n);
    const double expected = std::clamp(static_cast<double>(n - k) / (T - 2 * k), 0.0, 1.0);
    CHECK(p.mean[i] == expected);
    // The epistemic variance is the trees' mean squared deviation from that location.
    const double msd = (n * (1 - expected) * (1 - expected) + (T - n) * expected * expected) / T;
    CHECK(p.epistemic_variance[i] == Approx(msd).margin(1e-15));
    CHECK(p.aleatoric_variance[i] == 0.0);
  }
  // Some row must have a split vote whose trimmed mean differs from n / T and is not clamped.
  CHECK(std::any_of(seen_votes.begin(), seen_votes.end(), [](int n) { return n > 2 && n < 8 && n != 5; }));
  CHECK(seen_votes.front() == 0);
  CHECK(seen_votes.back() == T);

  // trim does not change how the trees grow: the same seed gives the same trees as the plain forest.
  RandomForest plain(extra_trees(T), 3);
  plain.fit(col({0, 1}), vec({0, 1}));
  CHECK(same(t, plain.tree_predictions(x)));
}

TEST_CASE("Trimmed forest: the location is the trimmed mean of the trees; trim = 0 is the plain mean", "[forest]") {
  const SineSplit d = sine_split(30, 9);
  const MatrixXd &X = d.X, &Xt = d.Xt;
  const VectorXd& y = d.y;
  const int T = 25;
  ForestOptions o = small_forest(T);
  o.min_samples_leaf = 2;
  RandomForest plain(o, 4);
  plain.fit(X, y);
  const MatrixXd P = plain.tree_predictions(Xt);
  const Prediction q = plain.predict(Xt);
  // trim = 0: the plain mean and variance, summed in tree order (bit for bit).
  for (int j = 0; j < Xt.rows(); ++j) {
    CAPTURE(j);
    double sum = 0;
    for (int t = 0; t < T; ++t) sum += P(t, j);
    const double mean = sum / T;
    double ss = 0;
    for (int t = 0; t < T; ++t) ss += (P(t, j) - mean) * (P(t, j) - mean);
    CHECK(q.mean[j] == mean);
    CHECK(q.epistemic_variance[j] == ss / T);
  }

  o.trim = 0.4;  // floor(0.4 * 25) = 10 from each end: the mean of the middle 5
  RandomForest trimmed(o, 4);
  trimmed.fit(X, y);
  CHECK(same(P, trimmed.tree_predictions(Xt)));
  const Prediction p = trimmed.predict(Xt);
  for (int j = 0; j < Xt.rows(); ++j) {
    CAPTURE(j);
    std::vector<double> v(P.col(j).data(), P.col(j).data() + T);
    std::sort(v.begin(), v.end());
    const double location = (v[10] + v[11] + v[12] + v[13] + v[14]) / 5.0;
    CHECK(p.mean[j] == location);
    const double msd = (P.col(j).array() - location).square().sum() / T;
    CHECK(p.epistemic_variance[j] == Approx(msd).epsilon(1e-12));
    // Mean squared deviation from another point = variance + squared shift.
    CHECK(p.epistemic_variance[j] ==
          Approx(q.epistemic_variance[j] + (q.mean[j] - location) * (q.mean[j] - location)).epsilon(1e-12));
    CHECK(p.aleatoric_variance[j] == q.aleatoric_variance[j]);
  }
  CHECK_FALSE(same(p.mean, q.mean));

  // Joint samples keep the trees' covariance and move to the trimmed location: with the same seed
  // they are the plain forest's samples shifted by (location - mean) in every column.
  const MatrixXd S = trimmed.sample_joint(Xt, 7, 11), R = plain.sample_joint(Xt, 7, 11);
  for (int j = 0; j < Xt.rows(); ++j) {
    CAPTURE(j);
    for (int s = 0; s < 7; ++s) CHECK(S(s, j) - R(s, j) == Approx(p.mean[j] - q.mean[j]).epsilon(0).margin(1e-12));
  }

  // The option survives save/load, and the loaded forest predicts the same.
  Archive ar;
  trimmed.save(ar);
  RandomForest back;
  back.load(ar);
  CHECK(back.options().trim == 0.4);
  CHECK(same_prediction(p, back.predict(Xt)));
}

TEST_CASE("Trimmed forest: how many trees are dropped", "[forest]") {
  const SineSplit d = sine_split(30, 5);
  const MatrixXd &X = d.X, &Xt = d.Xt;
  const VectorXd& y = d.y;
  // The mean of the sorted tree predictions v[k .. T-k-1] of a forest of T trees with seed 4.
  auto middle_mean = [&](int T, int k) {
    RandomForest f(small_forest(T), 4);
    f.fit(X, y);
    const MatrixXd P = f.tree_predictions(Xt);
    VectorXd m(Xt.rows());
    for (int j = 0; j < Xt.rows(); ++j) {
      std::vector<double> v(P.col(j).data(), P.col(j).data() + T);
      std::sort(v.begin(), v.end());
      double sum = 0;
      for (int t = k; t < T - k; ++t) sum += v[static_cast<std::size_t>(t)];
      m[j] = sum / (T - 2 * k);
    }
    return m;
  };
  auto trimmed_mean = [&](int T, double trim) {
    ForestOptions o = small_forest(T);
    o.trim = trim;
    RandomForest f(o, 4);
    f.fit(X, y);
    return VectorXd(f.predict(Xt).mean);
  };
  // 0.29 * 100 is 28.999999999999996 in doubles: still 29 trees from each end.
  CHECK(same(trimmed_mean(100, 0.29), middle_mean(100, 29)));
  // Just under 0.5 of an even count leaves the middle two (the median), not nothing.
  const VectorXd near_half = trimmed_mean(10, 0.4999999999);
  CHECK(near_half.allFinite());
  CHECK(same(near_half, middle_mean(10, 4)));
  // A share below one tree drops none: the plain mean, bit for bit.
  RandomForest plain(small_forest(7), 4);
  plain.fit(X, y);
  ForestOptions o = small_forest(7);
  o.trim = 0.1;  // floor(0.7) = 0
  RandomForest none_dropped(o, 4);
  none_dropped.fit(X, y);
  CHECK(same_prediction(plain.predict(Xt), none_dropped.predict(Xt)));
  CHECK(same(plain.sample_joint(Xt, 3, 2), none_dropped.sample_joint(Xt, 3, 2)));
}
