// SPDX-License-Identifier: MIT
// `matopt evaluate`'s runner: split folds through the Matbench engine, baseline, ratio, labels.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "matbench_fixtures.hpp"
#include "matopt/bench/evaluate.hpp"
#include "matopt/core/error.hpp"

using namespace matopt;
using Catch::Matchers::Contains;

namespace {

Dataset linear_fe() {
  return test::ternary_grid([](double fe, double ni, double) { return 3.0 * fe + ni; }, ColumnType::Continuous);
}

EvaluationOptions forest_options(const std::string& split) {
  EvaluationOptions o;
  o.split = parse_split(split);
  o.engine.model = "forest";
  o.engine.features = "fractions";
  o.engine.forest_options = R"({"trees": 30})";
  o.engine.inner_folds = 0;
  return o;
}

}  // namespace

TEST_CASE("folds that need not partition the rows: explicit training rows are checked", "[evaluate]") {
  MatbenchFolds f;
  f.partition = false;
  f.test = {{0, 1}, {1, 2}};  // overlapping test sets and row 3 in none: allowed here
  f.train = {{2, 3}, {0}};
  CHECK_NOTHROW(validate_matbench_folds(f, 4, "split"));
  CHECK(matbench_train_rows(f, 1, 4) == std::vector<std::size_t>{0});
  f.train[1] = {0, 2};
  REQUIRE_THROWS_WITH(validate_matbench_folds(f, 4, "split"), Contains("training row index 2 is also a test row"));
  f.train[1] = {};
  REQUIRE_THROWS_WITH(validate_matbench_folds(f, 4, "split"), Contains("fold 1 has no training rows"));
  f.train = {{2, 3}, {0}};
  f.test[0] = {0, 0};
  REQUIRE_THROWS_WITH(validate_matbench_folds(f, 4, "split"), Contains("appears twice"));
  f.partition = true;  // Matbench folds still must partition
  f.test = {{0, 1}, {1, 2}};
  f.train.clear();
  CHECK_THROWS_AS(validate_matbench_folds(f, 4, "split"), DataError);
}

TEST_CASE("evaluate_splits: element folds, labelled, against a random baseline with the same engine", "[evaluate]") {
  const Dataset data = linear_fe();
  EvaluationOptions o = forest_options("element");
  o.split.min_rows = 5;
  o.split.folds = 3;
  std::size_t started = 0, calls = 0;
  const EvaluationRun e = evaluate_splits(
      data, "y", o, [&](const MatbenchFoldResult&, std::size_t done, std::size_t) { calls = done; },
      [&](std::size_t total) { started = total; });
  // Fe, Ni and Cu are each in 28 of the 36 rows and leave 8 to train on.
  REQUIRE(e.run.folds.size() == 3);
  CHECK(e.run.folds[0].label == "Fe");
  CHECK(e.run.folds[0].rows.size() == 28);
  CHECK(e.run.folds[0].n_train == 8);
  REQUIRE(e.random.has_value());
  CHECK(e.random->folds.size() == 3);
  CHECK(started == 6);
  CHECK(calls == 6);
  double split_mae = 0, random_mae = 0;
  for (const auto& f : e.run.folds) split_mae += f.metrics.at("mae") / 3;
  for (const auto& f : e.random->folds) random_mae += f.metrics.at("mae") / 3;
  CHECK(e.ratio_metric == "mae");
  CHECK(e.ratio == Approx(split_mae / random_mae).epsilon(1e-12));
  CHECK(e.ratio > 1.0);  // training on 8 rows without the held-out element extrapolates
  CHECK(std::isfinite(e.run.folds[0].metrics.at("spearman")));
  const std::string table = format_evaluation(e);
  CHECK_THAT(table, Contains("extrapolation penalty: mae element / random = "));
  CHECK_THAT(table, Contains("mean over folds"));

  o.random_baseline = false;
  const EvaluationRun alone = evaluate_splits(data, "y", o);
  CHECK_FALSE(alone.random.has_value());
  CHECK(std::isnan(alone.ratio));
  CHECK(alone.run.folds[1].metrics.at("mae") == e.run.folds[1].metrics.at("mae"));  // deterministic
}

TEST_CASE("evaluate_splits: the group column decides the folds but is not a model input", "[evaluate]") {
  Dataset data = linear_fe();
  Column lab{"lab", ColumnType::Categorical, {}, {"north", "south"}};
  for (std::size_t i = 0; i < data.rows(); ++i) lab.values.push_back(i < 18 ? 0.0 : 1.0);
  data.process.push_back(lab);
  EvaluationOptions o = forest_options("group:lab");
  o.random_baseline = false;
  const EvaluationRun with_lab = evaluate_splits(data, "y", o);
  REQUIRE(with_lab.run.folds.size() == 2);
  CHECK(with_lab.run.folds[0].label == "north");
  CHECK(with_lab.run.folds[0].rows.size() == 18);
  // The same folds given as a plain table without the column score the same, bit for bit.
  Dataset without = data;
  without.process.clear();
  const std::vector<DataSplit> s = make_splits(data, o.split);
  const MatbenchRun direct = run_matbench(without, "y", folds_from_splits(s, data.rows(), true), o.engine);
  CHECK(direct.folds[0].metrics.at("mae") == with_lab.run.folds[0].metrics.at("mae"));
}
