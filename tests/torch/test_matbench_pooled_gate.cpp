// SPDX-License-Identifier: MIT
// The Matbench runner's pooled hurdle gate (a GP of the label averaged with a deep-ensemble classifier);
// it needs the libtorch plugin, so it lives with the ensemble tests.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "bench/matbench_fixtures.hpp"
#include "matopt/bench/matbench.hpp"
#include "matopt/core/error.hpp"

using namespace matopt;

TEST_CASE("hurdle with a pooled gate: P(y > 0) is the average of the GP's and the classifier's", "[ensemble][matbench]") {
  // y = max(0, 6·x_Fe − 2): exactly 0 for x_Fe <= 1/3, a ramp above.
  const Dataset data =
      test::ternary_grid([](double fe, double, double) { return std::max(0.0, 6.0 * fe - 2.0); }, ColumnType::Continuous);
  MatbenchFolds folds;
  folds.n = data.rows();
  folds.test.resize(4);
  for (std::size_t i = 0; i < data.rows(); ++i) folds.test[(i * 7) % 4].push_back(i);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.transform = "hurdle";
  opt.gp_options = R"({"restarts":1,"max_iterations":40})";
  opt.ensemble_options = R"({"members":3,"hidden":[16],"epochs":150,"batch_size":16,"learning_rate":0.01,"patience":30})";
  opt.recalibrate = false;  // raw P(y > 0), so the average can be taken apart
  opt.folds = {1};
  const MatbenchFoldResult gp_gate = run_matbench(data, "y", folds, opt).folds.at(0);
  opt.hurdle_gate = "pool";
  const MatbenchFoldResult pooled = run_matbench(data, "y", folds, opt).folds.at(0);
  REQUIRE(pooled.inner_cv.size() == 1);
  REQUIRE(pooled.inner_cv.count("gp+hurdle(pooled gate)") == 1);
  REQUIRE(pooled.gate == "pool");
  REQUIRE(gp_gate.gate.empty());
  REQUIRE(pooled.loc == gp_gate.loc);  // the same GP of log(1 + y) on the y > 0 rows
  REQUIRE(pooled.p_positive.size() == gp_gate.p_positive.size());
  REQUIRE(pooled.p_positive != gp_gate.p_positive);  // the classifier is not ignored
  std::size_t checked = 0;
  for (Eigen::Index i = 0; i < pooled.p_positive.size(); ++i) {
    // What the classifier said: 2·pooled − GP. A probability, on the right side of ½ away from the edge.
    const double p_class = 2.0 * pooled.p_positive[i] - gp_gate.p_positive[i];
    CHECK(p_class >= -1e-12);
    CHECK(p_class <= 1.0 + 1e-12);
    const double x_fe = data.compositions[pooled.rows[static_cast<std::size_t>(i)]].fraction(26);
    if (x_fe < 0.2 || (x_fe > 0.5 && x_fe < 0.9)) {
      INFO("x_Fe " << x_fe << " classifier P(y > 0) " << p_class);
      CHECK((p_class > 0.5) == (x_fe > 0.5));
      ++checked;
    }
  }
  REQUIRE(checked >= 4);
  // Same seed: bit-identical.
  const MatbenchFoldResult again = run_matbench(data, "y", folds, opt).folds.at(0);
  REQUIRE(again.p_positive == pooled.p_positive);

  // auto: both gates are candidates.
  opt.hurdle_gate = "auto";
  const MatbenchFoldResult both = run_matbench(data, "y", folds, opt).folds.at(0);
  REQUIRE(both.inner_cv.size() == 2);
  REQUIRE(both.inner_cv.count("gp+hurdle") == 1);
  REQUIRE(both.inner_cv.count("gp+hurdle(pooled gate)") == 1);
  const bool pooled_won = both.inner_cv.at("gp+hurdle(pooled gate)") < both.inner_cv.at("gp+hurdle");
  REQUIRE(both.gate == (pooled_won ? "pool" : ""));
  // The choice is in the table and survives the results file.
  const MatbenchRun run = test::one_fold_run(both, data.rows(), 4);
  const std::string chose = pooled_won ? "chose gp+hurdle(pooled gate) [fractions]" : "chose gp+hurdle [fractions]";
  REQUIRE_THAT(format_matbench_table(run), Catch::Contains(chose));
  const auto path = std::filesystem::temp_directory_path() / ("matopt_pooled_gate_" + std::to_string(::getpid()) + ".json");
  write_matbench_results(run, path);
  const MatbenchRun back = read_matbench_results(path);
  std::filesystem::remove(path);
  REQUIRE(back.folds.at(0).gate == both.gate);
  opt.inner_folds = 0;
  REQUIRE_THROWS_AS(run_matbench(data, "y", folds, opt), InvalidArgument);
  opt.hurdle_gate = "forest";
  REQUIRE_THROWS_WITH(run_matbench(data, "y", folds, opt), Catch::Contains("unknown hurdle gate 'forest'"));
}
