// SPDX-License-Identifier: MIT
// Permutation importance and feature families on synthetic data with a known answer.
#include <catch2/catch.hpp>

#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/explain.hpp"
#include "matopt/models/random_forest.hpp"

using namespace matopt;

TEST_CASE("feature families: a Magpie property across statistics, element fractions, the rest alone", "[explain]") {
  CHECK(feature_group("MagpieData mean Number") == "Magpie Number");
  CHECK(feature_group("MagpieData avg_dev MeltingT") == "Magpie MeltingT");
  CHECK(feature_group("Fe") == "fraction Fe");
  CHECK(feature_group("temperature") == "temperature");
  const FeatureGroups g = group_features({"MagpieData minimum Number", "Ni", "MagpieData maximum Number", "T"});
  REQUIRE(g.names == std::vector<std::string>{"Magpie Number", "fraction Ni", "T"});
  CHECK(g.columns[0] == std::vector<Eigen::Index>{0, 2});
  CHECK(g.columns[2] == std::vector<Eigen::Index>{3});
}

TEST_CASE("permutation importance: an unused feature scores 0, the strongest one first", "[explain]") {
  Rng rng(5);
  Eigen::MatrixXd X(300, 3);
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < 3; ++j) X(i, j) = uniform01(rng);
  const Eigen::VectorXd y = 5.0 * X.col(0) + 0.5 * X.col(2);
  const FeatureGroups g = group_features({"a", "b", "c"});
  // The exact function: permuting b changes nothing at all.
  auto exact = [](const Eigen::MatrixXd& P) -> Eigen::VectorXd { return 5.0 * P.col(0) + 0.5 * P.col(2); };
  const auto e = permutation_importance(exact, X, y, g, 3, 1);
  REQUIRE(e.size() == 3);
  CHECK(e[0].group == "a");
  CHECK(e[1].group == "c");
  CHECK(e[2].group == "b");
  CHECK(e[2].mean == 0.0);
  // E|5 (x − x')| for independent uniforms is 5/3: the MAE after shuffling a is about that.
  CHECK(e[0].mean == Approx(5.0 / 3.0).margin(0.15));
  // A fitted forest: b is nearly irrelevant, a dominates; same seed, same numbers.
  ForestOptions fo;
  fo.trees = 50;
  RandomForest forest(fo, 2);
  forest.fit(X, y);
  auto model = [&](const Eigen::MatrixXd& P) -> Eigen::VectorXd { return forest.predict(P).mean; };
  const auto f = permutation_importance(model, X, y, g, 3, 1);
  CHECK(f[0].group == "a");
  CHECK(f.back().group == "b");
  CHECK(f.back().mean < 0.1 * f[0].mean);  // the trees still split on noise now and then
  CHECK(permutation_importance(model, X, y, g, 3, 1)[0].mean == f[0].mean);
  // Without targets: the mean change of the prediction.
  const auto n = permutation_importance(exact, X, Eigen::VectorXd(), g, 2, 1);
  CHECK(n.back().mean == 0.0);
  CHECK_THROWS_AS(permutation_importance(exact, X, y, g, 0, 1), InvalidArgument);
}
