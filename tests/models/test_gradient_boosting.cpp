// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/gradient_boosting.hpp"
#include "models/model_fixtures.hpp"

using namespace matopt;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using matopt::test::same;
using matopt::test::same_prediction;
using matopt::test::sine_split;

namespace {

// Deterministic boosting: every row and column each round, no penalty, one thread.
BoostOptions plain(int rounds, int leaves, double learning_rate = 1.0) {
  BoostOptions o;
  o.rounds = rounds;
  o.max_leaves = leaves;
  o.learning_rate = learning_rate;
  o.min_samples_leaf = 1;
  o.l2_regularization = 0.0;
  o.subsample = 1.0;
  o.threads = 1;
  return o;
}

// x = 0..9 in one column; y = 0 below 5 and 10 from 5 (mean 5, standard deviation 5).
void step10(MatrixXd& X, VectorXd& y) {
  X.resize(10, 1);
  y.resize(10);
  for (int i = 0; i < 10; ++i) {
    X(i, 0) = i;
    y[i] = i < 5 ? 0.0 : 10.0;
  }
}

// n rows of d columns: y depends on the first two columns, the rest are noise inputs.
void wide_sine(int n, int d, std::uint64_t seed, MatrixXd& X, VectorXd& y) {
  Rng rng(seed);
  X.resize(n, d);
  y.resize(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) X(i, j) = uniform01(rng);
    y[i] = std::sin(6 * X(i, 0)) + X(i, 1) + 0.1 * standard_normal(rng);
  }
}

std::size_t count_distinct(const VectorXd& v) {
  std::vector<double> d(v.data(), v.data() + v.size());
  std::sort(d.begin(), d.end());
  return static_cast<std::size_t>(std::unique(d.begin(), d.end()) - d.begin());
}

}  // namespace

TEST_CASE("Boosting: one round of two leaves fits a step exactly; λ and the learning rate shrink it", "[boost]") {
  MatrixXd X;
  VectorXd y;
  step10(X, y);
  SECTION("unshrunk: the leaves are the two halves' means") {
    GradientBoosting g(plain(1, 2), 0);
    g.fit(X, y);
    const Prediction p = g.predict(X);
    for (int i = 0; i < 10; ++i) CHECK(p.mean[i] == y[i]);
    CHECK(p.variance.isZero(0.0));
    CHECK(p.aleatoric_variance.isZero(0.0));
    // The cut lies midway between 4 and 5.
    MatrixXd q(2, 1);
    q << 4.49, 4.51;
    const VectorXd m = g.predict(q).mean;
    CHECK(m[0] == 0.0);
    CHECK(m[1] == 10.0);
  }
  SECTION("λ = 1: a leaf of 5 rows takes 5/6 of its mean residual") {
    BoostOptions o = plain(1, 2);
    o.l2_regularization = 1.0;
    GradientBoosting g(o, 0);
    g.fit(X, y);
    const VectorXd m = g.predict(X).mean;
    CHECK(m[0] == Approx(5.0 - 5.0 * 5.0 / 6.0).epsilon(1e-14));
    CHECK(m[9] == Approx(5.0 + 5.0 * 5.0 / 6.0).epsilon(1e-14));
  }
  SECTION("learning rate 0.5: two rounds close 3/4 of the gap") {
    GradientBoosting g(plain(2, 2, 0.5), 0);
    g.fit(X, y);
    const VectorXd m = g.predict(X).mean;
    CHECK(m[0] == 5.0 - 0.75 * 5.0);
    CHECK(m[9] == 5.0 + 0.75 * 5.0);
  }
}

TEST_CASE("Boosting: the absolute loss aims at the median, squared at the mean, Huber between", "[boost]") {
  // One leaf per tree, so each round moves every row by the same step: the model is a location. With
  // learning rate 0.5 the result shows the start value (the median for absolute and Huber, the mean
  // for squared) and the leaf step separately.
  MatrixXd X(5, 1);
  X << 0, 1, 2, 3, 4;
  VectorXd y(5);
  y << 0, 1, 2, 3, 100;  // mean 21.2, median 2
  auto location = [&](const std::string& loss, double delta) {
    BoostOptions o = plain(1, 1, 0.5);
    o.loss = loss;
    o.huber_delta = delta;
    GradientBoosting g(o, 0);
    g.fit(X, y);
    const VectorXd m = g.predict(X).mean;
    CHECK(count_distinct(m) == 1);
    return m[0];
  };
  CHECK(location("squared", 1.0) == Approx(21.2).epsilon(1e-14));   // starts at the mean, step 0
  CHECK(location("absolute", 1.0) == Approx(2.0).epsilon(1e-14));   // starts at the median, step 0
  // Huber starts at the median (2); its step is the median residual (0) plus the mean deviation from
  // it clipped at δ (in units of y's standard deviation, here 39.4), halved by the learning rate: a
  // huge δ clips nothing (half the way to the mean), a tiny one stays at the median.
  CHECK(location("huber", 1e6) == Approx(2.0 + 0.5 * 19.2).epsilon(1e-12));
  CHECK(location("huber", 1e-9) == Approx(2.0).margin(1e-6));
  // δ = 0.1 σ (3.94): of the deviations from the median (-2, -1, 0, 1, 98) only the outlier's is
  // clipped, so the step is (-2 + 3.94) / 5, halved.
  const double sd = std::sqrt(((y.array() - 21.2).square()).mean());
  CHECK(location("huber", 0.1) == Approx(2.0 + 0.5 * (-2.0 + 0.1 * sd) / 5.0).epsilon(1e-12));
}

TEST_CASE("Boosting: each leaf of the absolute loss predicts its rows' median", "[boost]") {
  // x = 0..9; y = 0, 0, 0, 0, 40 | 10 x 5. The median target is 10, so the residuals are
  // -10 x 4, 30 | 0 x 5 and their signs -1 x 4, +1 | 0 x 5: the best cut of the signs is after x = 3
  // (gain 16/4 + 1/6 - 9/10). The left leaf's median residual is -10, the right one's 0 (not the
  // mean 5 that the squared loss would add).
  MatrixXd X(10, 1);
  VectorXd y(10);
  for (int i = 0; i < 10; ++i) X(i, 0) = i;
  y << 0, 0, 0, 0, 40, 10, 10, 10, 10, 10;
  auto fitted = [&](const std::string& loss, double delta) {
    BoostOptions o = plain(1, 2);
    o.loss = loss;
    o.huber_delta = delta;
    GradientBoosting g(o, 0);
    g.fit(X, y);
    return VectorXd(g.predict(X).mean);
  };
  const VectorXd absolute = fitted("absolute", 1.0);
  for (int i = 0; i < 4; ++i) CHECK(absolute[i] == Approx(0.0).margin(1e-12));
  for (int i = 4; i < 10; ++i) CHECK(absolute[i] == Approx(10.0).epsilon(1e-14));
  // Huber with a huge δ takes the right leaf's mean residual (30 / 6 = 5) from the median start.
  const VectorXd huber = fitted("huber", 1e6);
  for (int i = 0; i < 4; ++i) CHECK(huber[i] == Approx(0.0).margin(1e-12));
  for (int i = 4; i < 10; ++i) CHECK(huber[i] == Approx(15.0).epsilon(1e-14));
}

TEST_CASE("Boosting: max_leaves and min_samples_leaf bound each tree", "[boost]") {
  MatrixXd X(10, 1);
  VectorXd y(10);
  for (int i = 0; i < 10; ++i) {
    X(i, 0) = i;
    y[i] = i;
  }
  GradientBoosting three(plain(1, 3), 0);
  three.fit(X, y);
  CHECK(count_distinct(three.predict(X).mean) == 3);

  BoostOptions o = plain(1, 8);
  o.min_samples_leaf = 4;  // 10 rows hold at most two leaves of 4
  GradientBoosting two(o, 0);
  two.fit(X, y);
  const VectorXd m = two.predict(X).mean;
  CHECK(count_distinct(m) == 2);
  CHECK(m[4] != m[5]);  // the cut at the middle: 5 rows each side
  CHECK(m[4] == m[0]);
  CHECK(m[5] == m[9]);
}

TEST_CASE("Boosting: learns a noisy sine", "[boost]") {
  const auto [X, Xt, y, yt] = sine_split(400, 200, 1, 0.1);
  BoostOptions o;
  o.rounds = 300;
  o.max_leaves = 8;
  o.min_samples_leaf = 5;
  o.threads = 1;
  GradientBoosting g(o, 3);
  g.fit(X, y);
  const double rmse = std::sqrt((g.predict(Xt).mean - yt).squaredNorm() / static_cast<double>(yt.size()));
  CHECK(rmse < 0.1);
  // A constant predictor would be off by the targets' spread.
  CHECK(rmse < 0.2 * std::sqrt((yt.array() - yt.mean()).square().mean()));
}

TEST_CASE("Boosting: members' spread is the epistemic variance; seeded and thread-invariant", "[boost]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  // Large enough that a root histogram (6000 rows x 24 of 40 columns) is split over threads.
  wide_sine(6000, 40, 4, X, y);
  wide_sine(50, 40, 5, Xt, yt);
  BoostOptions o;
  o.rounds = 15;
  o.max_leaves = 15;
  o.subsample = 1.0;
  o.colsample = 0.6;
  o.members = 3;
  o.threads = 1;
  GradientBoosting g1(o, 11);
  g1.fit(X, y);
  const Prediction p = g1.predict(Xt);
  const MatrixXd P = g1.member_predictions(Xt);
  REQUIRE(P.rows() == 3);
  for (Eigen::Index i = 0; i < Xt.rows(); ++i) {
    const double mean = P.col(i).mean();
    CHECK(p.mean[i] == Approx(mean).epsilon(1e-14));
    CHECK(p.epistemic_variance[i] == Approx((P.col(i).array() - mean).square().mean()).epsilon(1e-12));
  }
  CHECK(p.epistemic_variance.minCoeff() > 0.0);  // the members split on different columns
  CHECK(p.aleatoric_variance.isZero(0.0));
  CHECK(same(p.variance, p.epistemic_variance));

  for (int threads : {2, 0}) {
    o.threads = threads;
    GradientBoosting g(o, 11);
    g.fit(X, y);
    CHECK(same_prediction(p, g.predict(Xt)));
  }
  GradientBoosting other(o, 12);
  other.fit(X, y);
  CHECK_FALSE(same(p.mean, other.predict(Xt).mean));

  SECTION("joint samples: members' mean and covariance, reproducible") {
    const MatrixXd S = g1.sample_joint(Xt, 4000, 9);
    CHECK(same(S, g1.sample_joint(Xt, 4000, 9)));
    const VectorXd sample_mean = S.colwise().mean().transpose();
    const VectorXd sd = p.variance.cwiseSqrt();
    for (Eigen::Index i = 0; i < Xt.rows(); ++i) CHECK(std::abs(sample_mean[i] - p.mean[i]) < 5 * sd[i] / std::sqrt(4000.0));
  }
  SECTION("one member: no spread, and every sample is the mean") {
    o.members = 1;
    GradientBoosting single(o, 11);
    single.fit(X, y);
    const Prediction q = single.predict(Xt);
    CHECK(q.variance.isZero(0.0));
    const MatrixXd S = single.sample_joint(Xt, 3, 1);
    for (Eigen::Index s = 0; s < 3; ++s) CHECK(same(VectorXd(S.row(s).transpose()), q.mean));
  }
}

TEST_CASE("Boosting: constant targets predict the constant", "[boost]") {
  const auto [X, Xt, y, yt] = sine_split(30, 5);
  for (const char* loss : {"squared", "absolute", "huber"}) {
    BoostOptions o = plain(5, 4);
    o.loss = loss;
    o.members = 2;
    o.subsample = 0.5;
    GradientBoosting g(o, 1);
    g.fit(X, VectorXd::Constant(30, 3.5));
    const Prediction p = g.predict(Xt);
    CHECK((p.mean.array() == 3.5).all());
    CHECK(p.variance.isZero(0.0));
  }
}

TEST_CASE("Boosting: save/load, the registry and clone give identical predictions", "[boost]") {
  const auto [X, Xt, y, yt] = sine_split(60, 15, 10, 0.1);
  BoostOptions o;
  o.rounds = 20;
  o.max_leaves = 6;
  o.min_samples_leaf = 3;
  o.max_bins = 16;  // fewer bins than distinct values: the cuts must survive the round trip
  o.members = 2;
  o.loss = "huber";
  o.threads = 1;
  GradientBoosting g(o, 5);
  g.fit(X, y);
  const Prediction p = g.predict(Xt);

  SECTION("through an HDF5 file") {
    Archive ar;
    g.save(ar.child("surrogate"));
    const auto path = std::filesystem::temp_directory_path() / "matopt_test_boost_roundtrip.h5";
    save_archive(ar, path, "test-boost", 1);
    const Archive back = load_archive(path, "test-boost", 1);
    std::filesystem::remove(path);
    GradientBoosting h;
    CHECK_FALSE(h.is_fitted());
    h.load(back.child("surrogate"));
    CHECK(same_prediction(p, h.predict(Xt)));
    CHECK(same(g.sample_joint(Xt, 5, 3), h.sample_joint(Xt, 5, 3)));
    CHECK(h.options().to_json() == o.to_json());
    const auto s = load_surrogate(back.child("surrogate"));
    REQUIRE(s->kind() == "boost");
    CHECK(same_prediction(p, s->predict(Xt)));
  }
  SECTION("registry") {
    const auto s = make_surrogate("boost", o.to_json(), 5);
    REQUIRE(s->kind() == "boost");
    CHECK_FALSE(s->is_fitted());
    s->fit(X, y);
    CHECK(same_prediction(p, s->predict(Xt)));
  }
  SECTION("clone and copies are independent") {
    const auto c = g.clone();
    GradientBoosting assigned;
    assigned = g;
    g.fit(X.topRows(20), y.head(20));
    CHECK(same_prediction(p, c->predict(Xt)));
    CHECK(same_prediction(p, assigned.predict(Xt)));
  }
}

TEST_CASE("Boost options: JSON round trip and validation", "[boost]") {
  const BoostOptions d = BoostOptions::from_json("");
  CHECK(d.to_json() == BoostOptions{}.to_json());
  const BoostOptions o = BoostOptions::from_json(
      R"({"rounds": 7, "learning_rate": 0.3, "max_leaves": 5, "min_samples_leaf": 2, "l2_regularization": 0.5,
          "subsample": 0.6, "colsample": 0.4, "loss": "absolute", "huber_delta": 2, "max_bins": 32, "members": 4,
          "threads": 1})");
  CHECK(o.rounds == 7);
  CHECK(o.learning_rate == 0.3);
  CHECK(o.max_leaves == 5);
  CHECK(o.min_samples_leaf == 2);
  CHECK(o.l2_regularization == 0.5);
  CHECK(o.subsample == 0.6);
  CHECK(o.colsample == 0.4);
  CHECK(o.loss == "absolute");
  CHECK(o.huber_delta == 2.0);
  CHECK(o.max_bins == 32);
  CHECK(o.members == 4);
  CHECK(o.threads == 1);
  CHECK(BoostOptions::from_json(o.to_json()).to_json() == o.to_json());

  auto rejects = [](const std::string& json, const std::string& field) {
    try {
      (void)BoostOptions::from_json(json);
      FAIL("accepted " << json);
    } catch (const InvalidArgument& e) {
      CHECK_THAT(e.what(), Catch::Contains(field));
    }
  };
  rejects(R"({"rounds": 0})", "rounds");
  rejects(R"({"learning_rate": 0})", "learning_rate");
  rejects(R"({"learning_rate": 1.5})", "learning_rate");
  rejects(R"({"max_leaves": 0})", "max_leaves");
  rejects(R"({"min_samples_leaf": 0})", "min_samples_leaf");
  rejects(R"({"l2_regularization": -1})", "l2_regularization");
  rejects(R"({"subsample": 0})", "subsample");
  rejects(R"({"colsample": 1.1})", "colsample");
  rejects(R"({"loss": "quantile"})", "loss");
  rejects(R"({"huber_delta": 0})", "huber_delta");
  rejects(R"({"max_bins": 1})", "max_bins");
  rejects(R"({"max_bins": 257})", "max_bins");
  rejects(R"({"members": 0})", "members");
  rejects(R"({"threads": -1})", "threads");
  rejects(R"({"round": 5})", "unknown key 'round'");
  rejects(R"({"rounds": "many"})", "wrong value type");
  rejects(R"([1, 2])", "expected a JSON object");
}

TEST_CASE("Boosting bad input: clear errors; a corrupt archive leaves the model as it was", "[boost]") {
  const auto [X, Xt, y, yt] = sine_split(20, 5, 1, 0.1);
  GradientBoosting g(plain(3, 4), 0);
  CHECK_THROWS_WITH(g.predict(Xt), Catch::Contains("not fitted"));
  CHECK_THROWS_AS(g.fit(MatrixXd(0, 2), VectorXd(0)), DataError);
  CHECK_THROWS_WITH(g.fit(X, y.head(5)), Catch::Contains("20 rows but y has 5"));
  MatrixXd bad = X;
  bad(3, 1) = std::nan("");
  CHECK_THROWS_WITH(g.fit(bad, y), Catch::Contains("row 4, column 2"));
  VectorXd bad_y = y;
  bad_y[6] = INFINITY;
  CHECK_THROWS_WITH(g.fit(X, bad_y), Catch::Contains("y row 7"));
  g.fit(X, y);
  CHECK_THROWS_WITH(g.predict(MatrixXd::Zero(2, 3)), Catch::Contains("3 columns, expected 2"));

  const Prediction p = g.predict(Xt);
  Archive ar;
  g.save(ar);
  SECTION("a child index past its tree") {
    std::vector<std::int64_t> left = ar.integers("left");
    std::vector<std::int64_t> feature = ar.integers("feature");
    const auto k = static_cast<std::size_t>(std::find_if(feature.begin(), feature.end(), [](auto f) { return f >= 0; }) - feature.begin());
    REQUIRE(k < feature.size());
    left[k] = 1000000;
    ar.set("left", std::move(left));
    CHECK_THROWS_AS(g.load(ar), IOError);
  }
  SECTION("tree offsets that run past the node arrays") {
    std::vector<std::int64_t> offsets = ar.integers("tree_offsets");
    REQUIRE(offsets.size() >= 3);
    offsets[1] = offsets.back() + 100;  // tree 0 would read beyond the nodes before tree 1 looks wrong
    ar.set("tree_offsets", std::move(offsets));
    CHECK_THROWS_WITH(g.load(ar), Catch::Contains("bad node count"));
  }
  SECTION("member tree counts out of order") {
    std::vector<std::int64_t> member_trees = ar.integers("member_trees");
    REQUIRE(member_trees.size() == 2);
    member_trees.insert(member_trees.begin() + 1, member_trees.back() + 5);  // [0, T + 5, T] for 2 members
    ar.set("member_trees", std::move(member_trees));
    std::vector<double> init{0.0, 0.0};
    ar.set("init", VectorXd(Eigen::Map<VectorXd>(init.data(), 2)));
    CHECK_THROWS_WITH(g.load(ar), Catch::Contains("negative tree count"));
  }
  SECTION("a non-finite leaf value") {
    VectorXd value = ar.vector("value");
    value[0] = std::nan("");
    ar.set("value", std::move(value));
    CHECK_THROWS_AS(g.load(ar), IOError);
  }
  SECTION("member tree counts that do not add up") {
    std::vector<std::int64_t> member_trees = ar.integers("member_trees");
    member_trees.back() += 1;
    ar.set("member_trees", std::move(member_trees));
    CHECK_THROWS_AS(g.load(ar), IOError);
  }
  SECTION("another model's archive") {
    ar.set_attr("kind", std::string("forest"));
    CHECK_THROWS_AS(g.load(ar), IOError);
  }
  CHECK(same_prediction(p, g.predict(Xt)));
}
