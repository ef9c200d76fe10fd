// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "matopt/acquisition/pareto.hpp"
#include "matopt/core/error.hpp"

using namespace matopt;

TEST_CASE("to_maximization converts every goal", "[pareto]") {
  Eigen::MatrixXd Y(3, 2);
  Y << 1.0, 5.0,  //
      2.0, 7.5,   //
      3.0, std::nan("");
  Objective a{"a", 0, Goal::Minimize};
  Objective t{"t", 1, Goal::Target};
  t.target = 6.0;
  Objective r{"r", 1, Goal::Target};
  r.target_low = 5.5;
  r.target_high = 7.0;
  const Eigen::MatrixXd M = to_maximization(Y, {a, t, r, Objective{"x", 0, Goal::Maximize}});
  CHECK(M(0, 0) == -1.0);
  CHECK(M(1, 1) == -1.5);
  CHECK(M(0, 1) == -1.0);
  CHECK(M(0, 2) == -0.5);
  CHECK(M(1, 2) == -0.5);
  CHECK(std::isnan(M(2, 1)));
  CHECK(M(2, 3) == 3.0);
  CHECK_THROWS_AS(to_maximization(Y, {Objective{"bad", 2, Goal::Maximize}}), InvalidArgument);
  CHECK_THROWS_AS(to_maximization(Y, {Objective{"nt", 0, Goal::Target}}), InvalidArgument);
}

TEST_CASE("dominance, non-dominated rows and ranks", "[pareto]") {
  Eigen::MatrixXd Y(7, 2);
  Y << 1, 3,  //
      2, 2,   //
      3, 1,   //
      1, 1,   // dominated by all of the first three
      2, 2,   // duplicate of row 1
      0, 0,   // dominated by row 3
      std::nan(""), 9;
  CHECK(dominates(Y.row(0).transpose(), Y.row(3).transpose()));
  CHECK_FALSE(dominates(Y.row(1).transpose(), Y.row(4).transpose()));
  CHECK_FALSE(dominates(Y.row(0).transpose(), Y.row(2).transpose()));
  CHECK(nondominated_indices(Y) == std::vector<Eigen::Index>{0, 1, 2});
  CHECK(pareto_front(Y).rows() == 3);
  CHECK(pareto_ranks(Y) == std::vector<int>{0, 0, 0, 1, 0, 2, -1});

  Eigen::MatrixXd Z(4, 3);
  Z << 1, 2, 3,  //
      3, 2, 1,   //
      1, 2, 2,   //
      2, 2, 2;
  CHECK(nondominated_indices(Z) == std::vector<Eigen::Index>{0, 1, 3});
  CHECK(pareto_ranks(Z) == std::vector<int>{0, 0, 1, 0});
}

TEST_CASE("default reference point is the nadir minus 10 % of the range", "[pareto]") {
  Eigen::MatrixXd Y(3, 2);
  Y << 0, 10,  //
      2, 10,   //
      std::nan(""), -50;
  const Eigen::VectorXd r = default_reference_point(Y);
  CHECK(r[0] == Approx(-0.2));
  CHECK(r[1] == Approx(9.0));  // zero range: 10 % of |nadir|
  CHECK_THROWS_AS(default_reference_point(Eigen::MatrixXd(0, 2)), InvalidArgument);
}
