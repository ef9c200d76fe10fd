// SPDX-License-Identifier: MIT
// Applicability domain: 0 at a training row, grows with distance, threshold from cross-validation.
#include <catch2/catch.hpp>

#include <cmath>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/domain.hpp"

using namespace matopt;

TEST_CASE("nearest_distances: brute force, exact at coincident rows", "[domain]") {
  Eigen::MatrixXd R(3, 2);
  R << 0, 0, 3, 4, 10, 0;
  Eigen::MatrixXd Q(3, 2);
  Q << 3, 4, 1, 1, 6.5, 0;
  const Eigen::VectorXd d = nearest_distances(Q, R);
  CHECK(d[0] == 0.0);  // the argmin's distance is recomputed exactly
  CHECK(d[1] == Approx(std::sqrt(2.0)).epsilon(1e-14));
  CHECK(d[2] == Approx(3.5).epsilon(1e-14));  // 3.5 to (10, 0); (3, 4) is sqrt(12.25 + 16) away
  const Eigen::VectorXd self = nearest_distances(R, R, true);
  CHECK(self[0] == Approx(5.0).epsilon(1e-14));
  CHECK(self[1] == Approx(5.0).epsilon(1e-14));
  CHECK(self[2] == Approx(std::sqrt(65.0)).epsilon(1e-14));
}

TEST_CASE("domain score: 0 at training rows, in units of the rows' spacing, growing with distance", "[domain]") {
  // Training rows on the unit grid {0..9} x {0..9}; column 2 is constant and must not count.
  Eigen::MatrixXd X(100, 3);
  for (int i = 0; i < 100; ++i) X.row(i) << i % 10, i / 10, 7.0;
  ApplicabilityDomain d;
  d.fit(X);
  const Eigen::VectorXd at_train = d.score(X);
  CHECK(at_train.cwiseAbs().maxCoeff() == 0.0);
  // Every grid row's nearest other row is 1 apart: the spacing is 1 grid step, so a point half a step
  // from a row scores 0.5 and one 5 steps beyond the edge scores 5.
  Eigen::MatrixXd Q(3, 3);
  Q << 4.5, 4, 7, 9, 14, 7, 9, 24, 7;
  const Eigen::VectorXd s = d.score(Q);
  CHECK(s[0] == Approx(0.5).epsilon(1e-12));
  CHECK(s[1] == Approx(5.0).epsilon(1e-12));
  CHECK(s[2] == Approx(15.0).epsilon(1e-12));
  // Held-out grid rows are 1 step from a training row (or sqrt 2 / 2 when neighbours are out too):
  // the threshold is a small multiple of the spacing, so the far points are outside, the near inside.
  CHECK(d.threshold() >= 1.0);
  CHECK(d.threshold() < 3.0);
  CHECK(s[0] <= d.threshold());
  CHECK(s[1] > d.threshold());
  CHECK_THROWS_AS(d.score(Eigen::MatrixXd::Zero(1, 2)), InvalidArgument);
}

TEST_CASE("domain: deterministic, saved and loaded exactly", "[domain]") {
  Rng rng(3);
  Eigen::MatrixXd X(60, 4);
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < X.cols(); ++j) X(i, j) = standard_normal(rng) * (j + 1);
  ApplicabilityDomain a, b;
  a.fit(X, {5, 0.9, 11});
  b.fit(X, {5, 0.9, 11});
  CHECK(a.threshold() == b.threshold());
  Archive ar;
  a.save(ar);
  ApplicabilityDomain c;
  c.load(ar);
  Eigen::MatrixXd Q = X.topRows(5).array() + 0.3;
  CHECK((a.score(Q).array() == c.score(Q).array()).all());
  CHECK(c.threshold() == a.threshold());
  // More rows than max_rows: a seeded sample of them is kept; exactly those score 0.
  ApplicabilityDomain small;
  small.fit(X, {5, 0.9, 11, 10});
  const Eigen::VectorXd s = small.score(X);
  CHECK((s.array() == 0.0).count() == 10);
  ApplicabilityDomain one;
  CHECK_THROWS_AS(one.fit(X.topRows(1)), InvalidArgument);
}
