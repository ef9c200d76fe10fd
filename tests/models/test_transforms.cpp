// SPDX-License-Identifier: MIT
// Target transforms as model wrappers, on tiny synthetic data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/models/random_forest.hpp"
#include "matopt/models/target_transform.hpp"

using namespace matopt;

namespace {
// 40 rows, 2 columns: x0 = i/40 (evenly spread), x1 = (7i mod 40)/40 (a fixed permutation).
Eigen::MatrixXd inputs() {
  Eigen::MatrixXd X(40, 2);
  for (int i = 0; i < 40; ++i) {
    X(i, 0) = i / 40.0;
    X(i, 1) = (7 * i % 40) / 40.0;
  }
  return X;
}
CandidateSpec forest(TargetTransform t, const std::string& options = R"({"trees":20})") {
  CandidateSpec s;
  s.model = "forest";
  s.options = options;
  s.transform = t;
  return s;
}
Eigen::VectorXd smooth_target(const Eigen::MatrixXd& X) { return (1.0 + X.col(0).array() + 0.5 * X.col(1).array()).matrix(); }
// zero for x0 < 0.5, else 2·x0
Eigen::VectorXd zero_inflated(const Eigen::MatrixXd& X) {
  return (X.col(0).array() < 0.5).select(Eigen::ArrayXd::Zero(X.rows()), 2.0 * X.col(0).array()).matrix();
}
Eigen::VectorXd labels(const Eigen::MatrixXd& X) { return (X.col(0).array() > 0.5).cast<double>().matrix(); }
}  // namespace

TEST_CASE("transform none gives Gaussian, log1p gives log1p-normal", "[transform]") {
  const Eigen::MatrixXd X = inputs();
  const Eigen::VectorXd y = smooth_target(X);
  TransformedModel none(forest(TargetTransform::None), false, 3);
  none.fit(X, y);
  REQUIRE(none.is_fitted());
  const TransformedPrediction p = none.predict(X);
  CHECK(p.distribution.kind == DistributionKind::Gaussian);
  CHECK(p.distribution.size() == 40);
  CHECK((p.distribution.scale.array() > 0).all());
  // the Gaussian loc is the forest's own mean of y
  CHECK(p.distribution.loc == none.predict_main(X).mean);

  TransformedModel log1p(forest(TargetTransform::Log1p), false, 3);
  log1p.fit(X, y);
  const TransformedPrediction q = log1p.predict(X);
  CHECK(q.distribution.kind == DistributionKind::Log1pNormal);
  // the surrogate models log(1 + y): its median expm1(loc) is near y (targets 1 to 2.5)
  CHECK((q.distribution.quantiles(0.5) - y).cwiseAbs().maxCoeff() < 0.5);

  Eigen::VectorXd negative = y;
  negative[5] = -0.1;
  TransformedModel bad(forest(TargetTransform::Log1p), false, 3);
  CHECK_THROWS_AS(bad.fit(X, negative), DataError);
}

TEST_CASE("transform none with a GP gives Gaussian", "[transform]") {
  const Eigen::MatrixXd X = inputs();
  CandidateSpec s;
  s.model = "gp";
  TransformedModel gp(s, false, 1);
  gp.fit(X, smooth_target(X));
  const TransformedPrediction p = gp.predict(X);
  CHECK(p.distribution.kind == DistributionKind::Gaussian);
  CHECK((p.distribution.loc - smooth_target(X)).cwiseAbs().maxCoeff() < 0.1);
}

TEST_CASE("hurdle transform on zero-inflated targets", "[transform]") {
  const Eigen::MatrixXd X = inputs();
  const Eigen::VectorXd y = zero_inflated(X);
  TransformedModel h(forest(TargetTransform::Hurdle), false, 5);
  h.fit(X, y);
  Eigen::MatrixXd T(2, 2);
  T << 0.05, 0.3,  // deep in the zero region
      0.95, 0.6;   // deep in the positive region
  const TransformedPrediction p = h.predict(T);
  CHECK(p.distribution.kind == DistributionKind::Hurdle);
  CHECK(p.distribution.p_positive[0] < 0.2);
  CHECK(p.distribution.p_positive[1] > 0.8);
  CHECK(p.distribution.median(0) == 0.0);
  CHECK(p.distribution.median(1) > 1.0);  // y = 2·x0 near 1.9 there

  Eigen::VectorXd one_positive = Eigen::VectorXd::Zero(40);
  one_positive[39] = 1.0;
  TransformedModel few(forest(TargetTransform::Hurdle), false, 5);
  CHECK_THROWS_AS(few.fit(X, one_positive), DataError);
  Eigen::VectorXd negative = y;
  negative[0] = -1.0;
  CHECK_THROWS_AS(few.fit(X, negative), DataError);
}

TEST_CASE("classification: no transform; forest probabilities are the forest's mean", "[transform]") {
  CHECK_THROWS_AS(TransformedModel(forest(TargetTransform::Log1p), true, 1), InvalidArgument);
  CHECK_THROWS_AS(TransformedModel(forest(TargetTransform::Hurdle), true, 1), InvalidArgument);
  const Eigen::MatrixXd X = inputs();
  const Eigen::VectorXd y = labels(X);
  // trim is removed for a 0/1 label: the probabilities equal a plain 20-tree forest's mean
  TransformedModel c(forest(TargetTransform::None, R"({"trees":20,"trim":0.2})"), true, 11);
  c.fit(X, y);
  const TransformedPrediction p = c.predict(X);
  CHECK(p.distribution.kind == DistributionKind::Bernoulli);
  RandomForest rf(ForestOptions::from_json(R"({"trees":20})"), 11);
  rf.fit(X, y);
  const Eigen::VectorXd mean = rf.predict(X).mean;
  for (Eigen::Index i = 0; i < 40; ++i) CHECK(p.distribution.probability[i] == std::clamp(mean[i], 0.0, 1.0));
  CHECK(p.margin.size() == 40);
  CHECK(p.margin[0] == Approx(mean[0] - 0.5));
}

TEST_CASE("transformed model: save/load and seeds reproduce predictions", "[transform]") {
  const Eigen::MatrixXd X = inputs();
  const Eigen::VectorXd y = zero_inflated(X);
  TransformedModel h(forest(TargetTransform::Hurdle), false, 9);
  h.fit(X, y);
  Archive a;
  h.save(a);
  const TransformedModel back = TransformedModel::load(a);
  const TransformedPrediction p = h.predict(X), q = back.predict(X);
  CHECK(back.spec().transform == TargetTransform::Hurdle);
  CHECK(p.distribution.loc == q.distribution.loc);
  CHECK(p.distribution.scale == q.distribution.scale);
  CHECK(p.distribution.p_positive == q.distribution.p_positive);

  TransformedModel twin(forest(TargetTransform::Hurdle), false, 9);
  twin.fit(X, y);
  const TransformedPrediction r = twin.predict(X);
  CHECK(p.distribution.loc == r.distribution.loc);
  CHECK(p.distribution.scale == r.distribution.scale);
  CHECK(p.distribution.p_positive == r.distribution.p_positive);
  CHECK_THROWS_AS(TransformedModel(forest(TargetTransform::None), false, 1).save(a), InvalidArgument);
}

TEST_CASE("transform names and candidate names", "[transform]") {
  CHECK(parse_target_transform("none") == TargetTransform::None);
  CHECK(parse_target_transform("log1p") == TargetTransform::Log1p);
  CHECK(parse_target_transform("hurdle") == TargetTransform::Hurdle);
  CHECK(to_string(TargetTransform::Log1p) == "log1p");
  CHECK_THROWS_AS(parse_target_transform("log"), InvalidArgument);
  CandidateSpec s = forest(TargetTransform::None);
  CHECK(s.name(false) == "forest+none");
  CHECK(s.name(false, true) == "forest");
  s.features = "magpie";
  s.transform = TargetTransform::Hurdle;
  CHECK(s.name(true) == "forest+hurdle [magpie]");
  CHECK(s.name(false) == "forest+hurdle");
  CHECK(s.name(true, true) == "forest [magpie]");
}
