// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "bench/matbench_fixtures.hpp"
#include "bench/matbench_internal.hpp"
#include "matopt/bench/matbench.hpp"
#include "matopt/core/composition.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/pipeline.hpp"
#include "matopt/models/metrics.hpp"
#include "matopt/models/gradient_boosting.hpp"
#include "matopt/models/random_forest.hpp"

using namespace matopt;
using Catch::Matchers::Contains;

// The exception type and its message (Catch2 v2 matches messages with THROWS_WITH only).
#define REQUIRE_THROWS_MSG(expr, Type, matcher) \
  do {                                          \
    REQUIRE_THROWS_AS(expr, Type);              \
    REQUIRE_THROWS_WITH(expr, matcher);         \
  } while (0)

namespace {

// A temporary directory removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("matopt_matbench_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

MatbenchFolds three_folds() {
  return parse_matbench_folds(R"({"task":"t","target":"y","n":6,"folds":[{"test":[0,3]},{"test":[1,4]},{"test":[2,5]}]})",
                              "t.folds.json");
}

// Fe-Ni-Cu compositions with a target linear in the fractions (a GP recovers it closely), or for
// classification the label x_Fe > 0.4.
Dataset ternary_dataset(bool classification) {
  if (classification)
    return test::ternary_grid([](double fe, double, double) { return fe > 0.4 ? 1.0 : 0.0; }, ColumnType::Boolean);
  return test::ternary_grid([](double fe, double, double cu) { return 3.0 * fe - 2.0 * cu + 1.0; }, ColumnType::Continuous);
}

// The Fe-Ni-Cu grid with the zero-inflated target y = max(0, 6·x_Fe - 2): exactly 0 for x_Fe <= 1/3
// (about half the rows), a ramp above.
Dataset zero_inflated_dataset() {
  Dataset data = ternary_dataset(false);
  for (std::size_t i = 0; i < data.rows(); ++i)
    data.targets[0].values[i] = std::max(0.0, 6.0 * data.compositions[i].fraction(26) - 2.0);
  return data;
}

// The hurdle gate's label 1{y > 0}.
double positive_label(double y) { return y > 0 ? 1.0 : 0.0; }

// Every 4th row (by a fixed stride) into one of 4 folds.
MatbenchFolds stride_folds(std::size_t n, std::size_t k) {
  MatbenchFolds f;
  f.n = n;
  f.test.resize(k);
  for (std::size_t i = 0; i < n; ++i) f.test[(i * 7) % k].push_back(i);
  return f;
}

// Fold k's `fractions` inputs of the Fe-Ni-Cu datasets, built as the runner builds them.
struct FoldInputs {
  std::vector<std::size_t> train_rows;
  Eigen::MatrixXd train, test;
};
FoldInputs fraction_inputs(const Dataset& data, const MatbenchFolds& folds, std::size_t k) {
  FoldInputs f;
  f.train_rows = matbench_train_rows(folds, k, data.rows());
  PipelineOptions popt;
  popt.features = "fractions";
  popt.elements = {"Fe", "Ni", "Cu"};
  Pipeline pipeline(popt);
  f.train = pipeline.fit_transform(data.subset(f.train_rows));
  f.test = pipeline.transform(data.subset(folds.test[k]));
  return f;
}

// The first target at `rows`, mapped through `map`.
Eigen::VectorXd target_at(const Dataset& data, const std::vector<std::size_t>& rows,
                          const std::function<double(double)>& map = [](double v) { return v; }) {
  Eigen::VectorXd y(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) y[static_cast<Eigen::Index>(i)] = map(data.targets[0].values[rows[i]]);
  return y;
}

}  // namespace

TEST_CASE("folds file is parsed and training rows are the complement", "[matbench]") {
  const MatbenchFolds f = three_folds();
  REQUIRE(f.task == "t");
  REQUIRE(f.target == "y");
  REQUIRE(f.n == 6);
  REQUIRE(f.test.size() == 3);
  REQUIRE(f.test[1] == std::vector<std::size_t>{1, 4});
  REQUIRE_NOTHROW(validate_matbench_folds(f, 6, "t"));
  REQUIRE(matbench_train_rows(f, 1, 6) == std::vector<std::size_t>{0, 2, 3, 5});
  // A bare list per fold is accepted too.
  const MatbenchFolds g = parse_matbench_folds(R"({"folds":[[0,2],[1]]})", "g");
  REQUIRE(g.test.size() == 2);
  REQUIRE_NOTHROW(validate_matbench_folds(g, 3, "g"));
  REQUIRE_THROWS_MSG(matbench_train_rows(f, 3, 6), InvalidArgument, Contains("fold 3 does not exist"));
}

TEST_CASE("bad folds are DataErrors naming the fold and the index", "[matbench]") {
  const auto folds = [](const std::string& body) { return parse_matbench_folds(body, "x.folds.json"); };
  SECTION("overlap between folds") {
    auto f = folds(R"({"folds":[{"test":[0,3]},{"test":[1,3]},{"test":[2,4,5]}]})");
    REQUIRE_THROWS_MSG(validate_matbench_folds(f, 6, "x.folds.json"), DataError,
                           Contains("row index 3 is in the test sets of folds 0 and 1"));
  }
  SECTION("row twice in one fold") {
    auto f = folds(R"({"folds":[{"test":[0,3,0]},{"test":[1,4]},{"test":[2,5]}]})");
    REQUIRE_THROWS_MSG(validate_matbench_folds(f, 6, "x.folds.json"), DataError,
                           Contains("row index 0 appears twice in fold 0"));
  }
  SECTION("missing rows") {
    auto f = folds(R"({"folds":[{"test":[0,3]},{"test":[1,4]},{"test":[2]}]})");
    REQUIRE_THROWS_MSG(validate_matbench_folds(f, 6, "x.folds.json"), DataError,
                           Contains("1 row(s) are in no test fold (first: row index 5)"));
  }
  SECTION("index past the end") {
    auto f = folds(R"({"folds":[{"test":[0,3]},{"test":[1,4]},{"test":[2,5,6]}]})");
    REQUIRE_THROWS_MSG(validate_matbench_folds(f, 6, "x.folds.json"), DataError,
                           Contains("x.folds.json: fold 2, position 2: row index 6 is past the end"));
  }
  SECTION("n does not match the dataset") {
    auto f = folds(R"({"n":7,"folds":[{"test":[0,3]},{"test":[1,4]},{"test":[2,5]}]})");
    REQUIRE_THROWS_MSG(validate_matbench_folds(f, 6, "x.folds.json"), DataError,
                           Contains("n = 7 rows but the dataset has 6"));
  }
  SECTION("negative and non-integer indices, bad JSON, missing folds") {
    REQUIRE_THROWS_MSG(folds(R"({"folds":[{"test":[0,-1]}]})"), DataError,
                           Contains("fold 0, position 1: row index -1 is negative"));
    REQUIRE_THROWS_MSG(folds(R"({"folds":[{"test":[0]},{"test":[1.5]}]})"), DataError,
                           Contains("fold 1, position 0: expected a non-negative integer"));
    REQUIRE_THROWS_MSG(folds("{\"folds\": [}"), DataError, Contains("x.folds.json: not valid JSON"));
    REQUIRE_THROWS_MSG(folds(R"({"test":[1]})"), DataError, Contains("\"folds\" array"));
    REQUIRE_THROWS_MSG(folds(R"({"folds":[{"train":[1]}]})"), DataError, Contains("fold 0: missing the \"test\""));
  }
  SECTION("a single fold or an empty fold") {
    REQUIRE_THROWS_MSG(validate_matbench_folds(folds(R"({"folds":[[0,1]]})"), 2, "x"), DataError,
                           Contains("at least 2 folds"));
    REQUIRE_THROWS_MSG(validate_matbench_folds(folds(R"({"folds":[[0,1],[]]})"), 2, "x"), DataError,
                           Contains("fold 1 has no test rows"));
  }
}

TEST_CASE("task type comes from the target column", "[matbench]") {
  Column c;
  c.name = "gap";
  c.values = {0.0, 1.5};
  c.type = ColumnType::Continuous;
  REQUIRE(detect_matbench_task_type(c, "f.csv") == MatbenchTaskType::Regression);
  c.type = ColumnType::Boolean;
  c.values = {0.0, 1.0};
  REQUIRE(detect_matbench_task_type(c, "f.csv") == MatbenchTaskType::Classification);
  c.type = ColumnType::Categorical;
  c.categories = {"metal", "insulator"};
  REQUIRE_THROWS_MSG(detect_matbench_task_type(c, "f.csv"), DataError,
                         Contains("column 'gap'") && Contains("neither numeric (regression) nor boolean"));
  c.type = ColumnType::Continuous;
  c.values = {0.0, std::nan("")};
  REQUIRE_THROWS_MSG(detect_matbench_task_type(c, "f.csv"), DataError, Contains("row 3"));
}

TEST_CASE("Matbench classification scores on a hand-made example", "[matbench]") {
  // Labels 1,1,1,0,0; thresholded at 0.5 the predictions are 1,1,0,1,0: TPR 2/3, TNR 1/2.
  Eigen::VectorXd y(5), p(5);
  y << 1, 1, 1, 0, 0;
  p << 0.9, 0.6, 0.4, 0.7, 0.1;
  const ClassificationScores s = score_matbench_classification(y, p);
  REQUIRE(s.accuracy == Approx(3.0 / 5.0));
  REQUIRE(s.balanced_accuracy == Approx((2.0 / 3.0 + 0.5) / 2.0));
  // Matbench's "ROC-AUC" on thresholded labels equals the balanced accuracy ...
  REQUIRE(s.rocauc_matbench == Approx(s.balanced_accuracy));
  // ... while the proper AUC counts ordered (positive, negative) pairs: 4 of 6.
  REQUIRE(s.rocauc == Approx(4.0 / 6.0));
  const double ll = -(std::log(0.9) + std::log(0.6) + std::log(0.4) + std::log(0.3) + std::log(0.9)) / 5.0;
  REQUIRE(s.log_loss == Approx(ll));
  // One class only: AUC undefined (NaN), the rest still computed.
  Eigen::VectorXd y1 = Eigen::VectorXd::Ones(2), p1(2);
  p1 << 0.8, 0.2;
  const ClassificationScores s1 = score_matbench_classification(y1, p1);
  REQUIRE(std::isnan(s1.rocauc));
  REQUIRE(s1.accuracy == Approx(0.5));
}

TEST_CASE("Matbench regression scores on a hand-made example", "[matbench]") {
  Eigen::VectorXd y(4), m(4), sd = Eigen::VectorXd::Ones(4);
  y << 1, 2, 3, 4;
  m << 1.5, 2, 1.5, 5.5;  // residuals -0.5, 0, 1.5, -1.5
  const RegressionScores s = score_matbench_regression(y, m, sd);
  REQUIRE(s.mae == Approx(0.875));
  REQUIRE(s.rmse == Approx(std::sqrt(4.75 / 4.0)));
  REQUIRE(s.r2 == Approx(1.0 - 4.75 / 5.0));
  REQUIRE(s.nll == Approx(0.5 * std::log(2.0 * M_PI) + (4.75 / 4.0) / 2.0));
  REQUIRE(s.coverage68 == Approx(0.5));  // inside ±1σ: the -0.5 and 0 residuals
  REQUIRE(s.miscalibration_area > 0.0);
  REQUIRE(s.coverage95 == Approx(1.0));
}

TEST_CASE("duplicate compositions are counted, conflicting targets reported", "[matbench]") {
  Dataset d;
  d.composition_column = "composition";
  const std::vector<std::string> f = {"Fe2O3", "O3Fe2", "FeO", "Fe1O1", "NaCl", "Fe4O6"};
  for (std::size_t i = 0; i < f.size(); ++i) {
    d.ids.push_back(std::to_string(i + 1));
    d.formulas.push_back(f[i]);
    d.compositions.push_back(Composition::parse(f[i]));
  }
  Eigen::VectorXd y(6);
  y << 1.0, 1.0, 2.0, 2.0, 3.0, 1.5;  // Fe2O3 x3 with one different value; FeO x2 agreeing
  const DuplicateReport r = find_duplicate_compositions(d, y);
  REQUIRE(r.groups == 2);
  REQUIRE(r.rows == 5);
  REQUIRE(r.conflicting_groups == 1);
  REQUIRE(r.conflicting_rows == 3);
  REQUIRE(r.examples == std::vector<std::string>{"Fe2O3"});
}

TEST_CASE("results file round trip and summary", "[matbench]") {
  TempDir tmp("roundtrip");
  MatbenchRun run;
  run.task = "toy";
  run.target = "y";
  run.n_rows = 4;
  run.n_folds = 2;
  run.signature = R"({"seed":1})";
  run.duplicates.groups = 1;
  run.duplicates.rows = 2;
  run.duplicates.examples = {"NaCl"};
  for (std::size_t k = 0; k < 2; ++k) {
    MatbenchFoldResult f;
    f.fold = k;
    f.model = "gp";
    f.transform = "none";
    f.metrics = {{"mae", k == 0 ? 1.0 : 3.0}, {"r2", std::nan("")}};
    f.inner_cv = {{"gp+none", 0.1 + static_cast<double>(k)}};
    f.calibration_a = 1.25;
    f.calibration_b = 1.0 / 3.0;
    f.seconds = 0.5;
    f.n_train = 2;
    f.rows = {k, k + 2};
    f.y_true = Eigen::Vector2d(0.1, 0.2);
    f.mean = Eigen::Vector2d(1.0 / 7.0, -2e-300);
    f.std = Eigen::Vector2d(0.3, 1e300);
    if (k == 0) {  // a hurdle fold carries its distribution; fold 1 is an older file's fold without one
      f.loc = Eigen::Vector2d(-0.25, 1.0 / 3.0);
      f.scale = Eigen::Vector2d(0.5, 0.125);
      f.p_positive = Eigen::Vector2d(0.2, 0.9);
      f.log_space = true;
      f.gate_calibration_a = 3.5;
      f.gate_calibration_b = -0.75;
      f.quantile_calibration = PitCalibration::from_knots({0.0, 0.1 / 3.0, 0.75, 1.0});
    }
    run.folds.push_back(f);
  }
  const auto path = tmp.path / "results.json";
  write_matbench_results(run, path);
  const MatbenchRun back = read_matbench_results(path);
  REQUIRE(back.task == "toy");
  REQUIRE(back.signature == run.signature);
  REQUIRE(back.duplicates.rows == 2);
  REQUIRE(back.duplicates.examples == run.duplicates.examples);
  REQUIRE(back.folds.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    const auto &a = run.folds[k], &b = back.folds[k];
    REQUIRE(b.fold == k);
    REQUIRE(b.rows == a.rows);
    REQUIRE(b.mean == a.mean);  // bit-identical doubles
    REQUIRE(b.std == a.std);
    REQUIRE(b.y_true == a.y_true);
    REQUIRE(b.metrics.at("mae") == a.metrics.at("mae"));
    REQUIRE(std::isnan(b.metrics.at("r2")));
    REQUIRE(b.calibration_b == a.calibration_b);
    REQUIRE(b.inner_cv == a.inner_cv);
    REQUIRE(b.loc == a.loc);
    REQUIRE(b.scale == a.scale);
    REQUIRE(b.p_positive == a.p_positive);
    REQUIRE(b.log_space == a.log_space);
    REQUIRE(b.gate_calibration_a == a.gate_calibration_a);
    REQUIRE(b.gate_calibration_b == a.gate_calibration_b);
    REQUIRE(b.quantile_calibration.knots == a.quantile_calibration.knots);
  }
  REQUIRE(back.folds[1].loc.size() == 0);
  const auto s = summarize_matbench(back);
  REQUIRE(s.at("mae").mean == Approx(2.0));
  REQUIRE(s.at("mae").std == Approx(1.0));  // ddof = 0
  const std::string table = format_matbench_table(back);
  REQUIRE_THAT(table, Contains("MAE") && Contains("2/2 folds") && Contains("1 groups (2 rows)"));

  // Stored quantile-recalibration knots that do not increase: a DataError naming the fold.
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto at = text.find("0.75", text.find("\"quantile_calibration\""));  // the third knot
  REQUIRE(at != std::string::npos);
  text.replace(at, 4, "0.01");
  std::ofstream(tmp.path / "bad_knots.json") << text;
  REQUIRE_THROWS_MSG(read_matbench_results(tmp.path / "bad_knots.json"), DataError,
                     Contains("fold 0") && Contains("strictly increase"));

  std::ofstream(tmp.path / "bad.json") << R"({"format":"something-else"})";
  REQUIRE_THROWS_MSG(read_matbench_results(tmp.path / "bad.json"), DataError,
                         Contains("not a matopt Matbench results file"));
}

TEST_CASE("end to end: GP on a tiny dataset, resume and determinism", "[matbench]") {
  TempDir tmp("e2e");
  const Dataset data = ternary_dataset(false);
  const std::size_t n = data.rows();
  REQUIRE(n == 36);
  const MatbenchFolds folds = stride_folds(n, 4);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.gp_options = R"({"restarts":1,"max_iterations":60})";
  opt.inner_folds = 3;
  opt.seed = 7;
  opt.dataset_label = "ternary";
  opt.results_path = tmp.path / "r.json";
  opt.folds = {1};

  std::size_t started = 99, finished = 0;
  const MatbenchRun first = run_matbench(data, "y", folds, opt,
                                         [&](const MatbenchFoldResult&, std::size_t, std::size_t) { ++finished; },
                                         [&](std::size_t to_run) { started = to_run; });
  REQUIRE(started == 1);
  REQUIRE(finished == 1);
  REQUIRE(first.folds.size() == 1);
  const MatbenchFoldResult& f1 = first.folds[0];
  REQUIRE(f1.fold == 1);
  REQUIRE(f1.rows == folds.test[1]);
  REQUIRE(f1.n_train == n - folds.test[1].size());
  for (std::size_t r = 0; r < f1.rows.size(); ++r)
    REQUIRE(f1.y_true[static_cast<Eigen::Index>(r)] == data.targets[0].values[f1.rows[r]]);
  // y = 3 Fe - 2 Cu + 1 ranges over [-1, 4]; a GP on the fractions interpolates it closely.
  REQUIRE(f1.metrics.at("mae") < 0.05);
  REQUIRE(f1.metrics.at("r2") > 0.99);
  REQUIRE(f1.inner_cv.count("gp+none") == 1);
  REQUIRE(f1.calibration_a > 0);

  // Same arguments, all folds: fold 1 is taken from the file, the other three run.
  opt.folds.clear();
  started = 99;
  finished = 0;
  const MatbenchRun all = run_matbench(data, "y", folds, opt,
                                       [&](const MatbenchFoldResult&, std::size_t, std::size_t) { ++finished; },
                                       [&](std::size_t to_run) { started = to_run; });
  REQUIRE(started == 3);
  REQUIRE(finished == 3);
  REQUIRE(all.folds.size() == 4);
  REQUIRE(all.folds[1].mean == f1.mean);
  REQUIRE(all.folds[1].seconds == f1.seconds);  // not re-run: the stored time comes back
  std::vector<int> seen(n, 0);
  for (const auto& f : all.folds)
    for (std::size_t i : f.rows) ++seen[i];
  REQUIRE(std::count(seen.begin(), seen.end(), 1) == static_cast<long>(n));  // every row predicted once
  const MatbenchRun stored = read_matbench_results(opt.results_path);
  REQUIRE(stored.folds.size() == 4);
  REQUIRE(stored.folds[3].mean == all.folds[3].mean);

  // Same inputs and seed in a fresh file, two threads: bit-identical predictions.
  MatbenchOptions again = opt;
  again.results_path = tmp.path / "r2.json";
  again.threads = 2;
  const MatbenchRun second = run_matbench(data, "y", folds, again);
  for (std::size_t k = 0; k < 4; ++k) {
    REQUIRE(second.folds[k].mean == all.folds[k].mean);
    REQUIRE(second.folds[k].std == all.folds[k].std);
  }

  // Other arguments against the same results file are refused, naming what changed.
  MatbenchOptions other = opt;
  other.seed = 8;
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, other), InvalidArgument,
                         Contains("other arguments") && Contains("seed: 7 in the file vs 8 now"));

  // A file written before matopt 0.3 (no "method" in its signature) scored calibration differently:
  // resuming it is refused rather than mixing folds scored two ways.
  std::string text;
  {
    std::ifstream in(opt.results_path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string stripped = std::regex_replace(text, std::regex(",\\s*\"method\": 3"), "");
  REQUIRE(stripped.size() < text.size());
  text = stripped;
  std::ofstream(opt.results_path) << text;
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument,
                         Contains("method: null in the file vs 3 now"));
}

TEST_CASE("end to end: classification with Matbench-style ROC-AUC", "[matbench]") {
  const Dataset data = ternary_dataset(true);
  const MatbenchFolds folds = stride_folds(data.rows(), 3);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.gp_options = R"({"restarts":1,"max_iterations":60})";
  opt.inner_folds = 0;
  opt.folds = {0};
  const MatbenchRun run = run_matbench(data, "y", folds, opt);
  REQUIRE(run.type == MatbenchTaskType::Classification);
  const auto& m = run.folds.at(0).metrics;
  REQUIRE(m.at("rocauc_matbench") == Approx(m.at("balanced_accuracy")));
  REQUIRE(m.at("balanced_accuracy") >= 0.8);  // a threshold on the Fe fraction: easily learned
  REQUIRE(m.at("rocauc") >= 0.8);
  REQUIRE(run.folds[0].std.size() == 0);
  for (Eigen::Index i = 0; i < run.folds[0].mean.size(); ++i) {
    REQUIRE(run.folds[0].mean[i] >= 0.0);
    REQUIRE(run.folds[0].mean[i] <= 1.0);
  }
  // Options that need inner CV are refused without it.
  opt.model = "auto";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument, Contains("inner folds must be >= 2"));
  opt.model = "gp,forest";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument, Contains("inner folds must be >= 2"));
  opt.model = "svm";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument, Contains("unknown model 'svm'"));
  opt.model = "gp,gp";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument, Contains("listed twice"));
}

TEST_CASE("candidate feature sets and transforms are chosen by inner CV on training rows", "[matbench]") {
  const Dataset data = ternary_dataset(false);
  const MatbenchFolds folds = stride_folds(data.rows(), 4);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions,magpie";
  opt.gp_options = R"({"restarts":1,"max_iterations":40})";
  opt.folds = {2};
  const MatbenchRun run = run_matbench(data, "y", folds, opt);
  const MatbenchFoldResult& f = run.folds.at(0);
  REQUIRE(f.inner_cv.size() == 2);
  REQUIRE(f.inner_cv.count("gp+none [fractions]") == 1);
  REQUIRE(f.inner_cv.count("gp+none [magpie]") == 1);
  // The chosen feature set is the one with the lower inner-CV MAE.
  const bool fractions_better = f.inner_cv.at("gp+none [fractions]") <= f.inner_cv.at("gp+none [magpie]");
  REQUIRE(f.features == (fractions_better ? "fractions" : "magpie"));

  // log1p needs non-negative targets; this target goes down to -1.
  opt.features = "fractions";
  opt.transform = "log1p";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), DataError, Contains("needs targets >= 0"));
  // auto only offers log1p when every training target is >= 0: here only "none" is a candidate.
  opt.transform = "auto";
  const MatbenchRun a = run_matbench(data, "y", folds, opt);
  REQUIRE(a.folds.at(0).inner_cv.size() == 1);
  REQUIRE(a.folds.at(0).transform == "none");
  opt.features = "fractions,,magpie";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument, Contains("empty feature set"));
}

TEST_CASE("GP classification probabilities are Platt-scaled on inner-CV predictions", "[matbench]") {
  const Dataset data = ternary_dataset(true);
  const MatbenchFolds folds = stride_folds(data.rows(), 3);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.gp_options = R"({"restarts":1,"max_iterations":40})";
  opt.inner_folds = 3;
  opt.folds = {1};
  const MatbenchRun run = run_matbench(data, "y", folds, opt);
  const MatbenchFoldResult& f = run.folds.at(0);
  REQUIRE(f.calibration_a > 0);  // a larger predicted label mean means a higher probability
  for (Eigen::Index i = 0; i < f.mean.size(); ++i) {
    REQUIRE(f.mean[i] >= 0.0);  // this toy set separates perfectly, so p may round to 0 or 1
    REQUIRE(f.mean[i] <= 1.0);
  }
  REQUIRE(f.metrics.at("rocauc_matbench") == Approx(f.metrics.at("balanced_accuracy")));
  REQUIRE(f.metrics.at("balanced_accuracy") >= 0.8);
  REQUIRE(std::isfinite(f.metrics.at("log_loss")));
}



TEST_CASE("quantiles of the predictive distributions and recalibrated scores, derived by hand", "[matbench]") {
  using matopt::distribution::quantile;
  const double phi1 = 0.8413447460685429;  // Φ(1)
  CHECK(quantile(1.0, 1.0, 2.0, false, phi1) == Approx(3.0).epsilon(1e-12));
  CHECK(quantile(1.0, 1.0, 2.0, false, 0.5) == Approx(1.0).epsilon(1e-12));
  // log1p alone: e^1 − 1 at Φ(1); below the median the quantile of max(0, y) is 0
  CHECK(quantile(1.0, 0.0, 1.0, true, phi1) == Approx(std::exp(1.0) - 1.0).epsilon(1e-12));
  CHECK(quantile(1.0, 0.0, 1.0, true, 0.3) == 0.0);
  // hurdle, P(y > 0) = 0.75, log(1 + y) ~ N(log 3, 0.25): the median is the hurdle median (1.4187446, see
  // above); every quantile up to 1 − p = 0.25 is the point mass
  const double m = std::log(3.0), sd = 0.5;
  CHECK(quantile(0.75, m, sd, true, 0.5) ==
        Approx(matopt::distribution::hurdle_median_and_std(0.75, m, sd).first).epsilon(1e-12));
  CHECK(quantile(0.75, m, sd, true, 0.25) == 0.0);
  CHECK(quantile(0.75, m, sd, true, 0.25 + 0.75 * phi1) == Approx(3.0 * std::exp(0.5) - 1.0).epsilon(1e-12));

  // Standard deviation after R. The identity map keeps F's own σ: scale for the Gaussian, the exact
  // mixture σ for the hurdle (its log-normal part far above 0, where clipping at 0 does not matter).
  using matopt::distribution::recalibrated_std;
  auto z_cells = [](std::size_t cells) {
    std::vector<double> z(cells + 1);
    for (std::size_t k = 0; k <= cells; ++k) z[k] = normal_quantile(static_cast<double>(k) / static_cast<double>(cells));
    return z;
  };
  std::vector<double> identity(201);
  for (std::size_t k = 0; k <= 200; ++k) identity[k] = static_cast<double>(k) / 200.0;
  const PitCalibration id = PitCalibration::from_knots(identity);
  CHECK(recalibrated_std(1.0, 5.0, 2.0, false, id, z_cells(200)) == Approx(2.0).epsilon(1e-9));
  const double m30 = std::log(30.0);
  CHECK(recalibrated_std(0.75, m30, 0.3, true, id, z_cells(200)) ==
        Approx(matopt::distribution::hurdle_median_and_std(0.75, m30, 0.3).second).epsilon(1e-9));
  CHECK(recalibrated_std(1.0, m30, 0.3, true, id, z_cells(200)) ==
        Approx(matopt::distribution::hurdle_median_and_std(1.0, m30, 0.3).second).epsilon(1e-9));
  CHECK(recalibrated_std(0.0, m30, 0.3, true, id, z_cells(200)) == 0.0);
  // R with knots (0, ¼, 1) weights F's lower half by ½ and its upper half by 3/2: E'[z] = φ(0),
  // E'[z²] = 1, so σ' = scale·√(1 − φ(0)²) = 2·√(1 − 1/(2π)) = 1.8339521.
  const PitCalibration quarter = PitCalibration::from_knots({0.0, 0.25, 1.0});
  CHECK(recalibrated_std(1.0, 5.0, 2.0, false, quarter, z_cells(2)) == Approx(2.0 * std::sqrt(1.0 - 1.0 / (2.0 * M_PI))).epsilon(1e-12));

  // Hurdle with P(y > 0) = ½ and knots (0, ¼, 1): the first cell (v <= ½) is the atom, whose mass R
  // shrinks to ¼; the continuous part keeps its shape with mass ¾, so σ'² = ¾·E[X²] − (¾·E[X])² for
  // X = e^Z − 1, Z ~ N(log 30, 0.3²) (its mass below 0 is negligible):
  // E[X] = 30·e^0.045 − 1, E[X²] = 900·e^0.18 − 60·e^0.045 + 1.
  const double ex = 30.0 * std::exp(0.045) - 1.0, ex2 = 900.0 * std::exp(0.18) - 60.0 * std::exp(0.045) + 1.0;
  CHECK(recalibrated_std(0.5, m30, 0.3, true, quarter, z_cells(2)) ==
        Approx(std::sqrt(0.75 * ex2 - 0.5625 * ex * ex)).epsilon(1e-10));
  // The continuous part's top cell reaches z = +∞ even where 1 − (1 − p) != p in floating point: a wide
  // log-normal (scale 4, whose second moment lives near z = 8) keeps its exact σ.
  CHECK(recalibrated_std(0.0114, 30.0, 4.0, true, id, z_cells(200)) ==
        Approx(matopt::distribution::hurdle_median_and_std(0.0114, 30.0, 4.0).second).epsilon(1e-8));
  // Overflowing moments are +inf (never 0 or NaN), which summarize_distribution caps at 1e150.
  CHECK(std::isinf(recalibrated_std(1.0, 360.0, 1.0, true, quarter, z_cells(2))));
  Eigen::VectorXd mean_out, std_out;
  matopt::distribution::summarize(Eigen::VectorXd(), Eigen::VectorXd::Constant(1, 360.0),
                                                    Eigen::VectorXd::Ones(1), true, quarter, mean_out, std_out);
  CHECK(std_out[0] == 1e150);

  // Scores through a quantile map R with knots (0, 0.2, 1): R(u) = 0.4·u up to ½. A target at the
  // predicted median has PIT ½ → R = 0.2: outside the central 50 % interval [¼, ¾], inside the 68 % one.
  const Eigen::VectorXd y = Eigen::VectorXd::Constant(1, 2.0), loc = y, scale = Eigen::VectorXd::Ones(1);
  const PitCalibration r = PitCalibration::from_knots({0.0, 0.2, 1.0});
  CHECK(score_matbench_regression(y, loc, scale, Eigen::VectorXd(), loc, scale, false).coverage68 == 1.0);
  CHECK(score_matbench_regression(y, loc, scale, Eigen::VectorXd(), loc, scale, false, r).coverage68 == 1.0);
  CHECK(score_matbench_regression(y, loc, scale, Eigen::VectorXd(), loc, scale, false, r).coverage95 == 1.0);
  const PitCalibration steep = PitCalibration::from_knots({0.0, 0.1, 1.0});  // R(½) = 0.1
  CHECK(score_matbench_regression(y, loc, scale, Eigen::VectorXd(), loc, scale, false, steep).coverage68 == 0.0);
  CHECK(score_matbench_regression(y, loc, scale, Eigen::VectorXd(), loc, scale, false, steep).coverage95 == 1.0);
}

TEST_CASE("hurdle transform for zero-inflated targets: exact zeros, chosen by inner CV", "[matbench]") {
  const Dataset data = zero_inflated_dataset();
  const MatbenchFolds folds = stride_folds(data.rows(), 4);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.gp_options = R"({"restarts":1,"max_iterations":40})";
  opt.folds = {1};
  opt.transform = "hurdle";
  const MatbenchRun run = run_matbench(data, "y", folds, opt);
  const MatbenchFoldResult& f = run.folds.at(0);
  REQUIRE(f.transform == "hurdle");
  std::size_t exact_zeros = 0, zero_rows = 0;
  for (Eigen::Index i = 0; i < f.mean.size(); ++i) {
    CHECK(f.mean[i] >= 0.0);
    CHECK(std::isfinite(f.std[i]));
    const double x_fe = data.compositions[f.rows[static_cast<std::size_t>(i)]].fraction(26);
    if (x_fe < 0.2) {  // well inside the zero region
      ++zero_rows;
      exact_zeros += f.mean[i] == 0.0;
    }
    INFO("x_Fe " << x_fe << " y " << f.y_true[i] << " predicted " << f.mean[i]);
    // interior of the positive region (the pure-Fe corner is an extrapolation for the P(y > 0) model)
    if (x_fe > 0.4 && x_fe < 0.9) CHECK(f.mean[i] == Approx(f.y_true[i]).margin(0.3));
  }
  REQUIRE(zero_rows >= 3);
  CHECK(exact_zeros == zero_rows);
  // The fold keeps its distribution: log-space Gaussian part, P(y > 0) per row, Platt-scaled gate.
  CHECK(f.log_space);
  CHECK(f.loc.size() == f.mean.size());
  CHECK(f.scale.size() == f.mean.size());
  REQUIRE(f.p_positive.size() == f.mean.size());
  CHECK((f.gate_calibration_a != 1.0 || f.gate_calibration_b != 0.0));
  CHECK(f.metrics.at("miscalibration_area") < 0.5);
  // Re-scoring the stored distribution (through the results file) reproduces the run bit for bit.
  TempDir tmp("rescore");
  write_matbench_results(run, tmp.path / "r.json");
  const MatbenchRun again = rescore_matbench_run(read_matbench_results(tmp.path / "r.json"));
  CHECK(again.folds.at(0).mean == f.mean);
  CHECK(again.folds.at(0).std == f.std);
  CHECK(again.folds.at(0).metrics == f.metrics);
  // Quantile recalibration is fitted and the point prediction is its median.
  REQUIRE(f.quantile_calibration.fitted());
  const double v50 = f.quantile_calibration.inverse(0.5);
  for (Eigen::Index i = 0; i < f.mean.size(); ++i)
    CHECK(f.mean[i] == matopt::distribution::quantile(f.p_positive[i], f.loc[i], f.scale[i], true, v50));
  // Without it: the same distribution, the plain hurdle median.
  MatbenchOptions sigma_only = opt;
  sigma_only.quantile_recalibration = false;
  const MatbenchRun sigma_run = run_matbench(data, "y", folds, sigma_only);
  const MatbenchFoldResult& q = sigma_run.folds.at(0);
  CHECK_FALSE(q.quantile_calibration.fitted());
  CHECK(q.loc == f.loc);
  CHECK(q.p_positive == f.p_positive);
  for (Eigen::Index i = 0; i < q.mean.size(); ++i)
    CHECK(q.mean[i] == matopt::distribution::hurdle_median_and_std(q.p_positive[i], q.loc[i], q.scale[i]).first);
  // Without recalibration: raw scale and P(y > 0).
  MatbenchOptions raw = opt;
  raw.recalibrate = false;
  const MatbenchRun raw_run = run_matbench(data, "y", folds, raw);
  const MatbenchFoldResult& r = raw_run.folds.at(0);
  CHECK(r.calibration_a == 1.0);
  CHECK(r.gate_calibration_a == 1.0);
  CHECK(r.gate_calibration_b == 0.0);
  CHECK(r.loc == f.loc);  // the models are the same
  CHECK(r.p_positive != f.p_positive);
  CHECK_FALSE(r.quantile_calibration.fitted());

  // auto offers none, log1p and hurdle here (targets >= 0, many exact zeros) and keeps the best
  opt.transform = "auto";
  const MatbenchRun a = run_matbench(data, "y", folds, opt);
  const auto& cv = a.folds.at(0).inner_cv;
  REQUIRE(cv.size() == 3);
  const auto best = std::min_element(cv.begin(), cv.end(), [](const auto& l, const auto& r) { return l.second < r.second; });
  CHECK(best->first == "gp+" + a.folds.at(0).transform);
  // Too few y > 0 rows for every candidate (two feature sets): a clear DataError, not a crash.
  Dataset sparse = data;
  for (double& v : sparse.targets[0].values) v = 0.0;
  sparse.targets[0].values[folds.test[0][0]] = 1.0;  // one positive, in a training row of fold 1
  MatbenchOptions two = opt;
  two.transform = "hurdle";
  two.features = "fractions,stoichiometry";
  REQUIRE_THROWS_MSG(run_matbench(sparse, "y", folds, two), DataError, Contains("no candidate model could be fitted"));
  // negative targets cannot use it
  Dataset shifted = data;
  for (double& v : shifted.targets[0].values) v -= 1.0;
  opt.transform = "hurdle";
  REQUIRE_THROWS_MSG(run_matbench(shifted, "y", folds, opt), DataError, Contains("needs targets >= 0"));
}


TEST_CASE("a pool of candidates is judged by inner CV and predicts the members' moment-matched mixture", "[matbench]") {
  // A noisy target, so that two GPs on different features err differently.
  Dataset data = ternary_dataset(false);
  for (std::size_t i = 0; i < data.rows(); ++i) data.targets[0].values[i] += 0.1 * std::sin(7.0 * static_cast<double>(i));
  const MatbenchFolds folds = stride_folds(data.rows(), 4);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.gp_options = R"({"restarts":1,"max_iterations":40})";  // one start from the default: seed-independent fits
  opt.recalibrate = false;  // the test rows' loc and scale are then the models' own
  opt.folds = {0};
  // The members alone.
  opt.features = "fractions";
  const MatbenchFoldResult a = run_matbench(data, "y", folds, opt).folds.at(0);
  opt.features = "magpie";
  const MatbenchFoldResult b = run_matbench(data, "y", folds, opt).folds.at(0);

  opt.features = "fractions,magpie";
  opt.pool = 2;
  const MatbenchFoldResult p = run_matbench(data, "y", folds, opt).folds.at(0);
  const bool a_first = a.inner_cv.at("gp+none") <= b.inner_cv.at("gp+none");
  const std::string name = a_first ? "pool(gp+none [fractions] | gp+none [magpie])" : "pool(gp+none [magpie] | gp+none [fractions])";
  REQUIRE(p.inner_cv.size() == 3);
  REQUIRE(p.inner_cv.at("gp+none [fractions]") == a.inner_cv.at("gp+none"));
  REQUIRE(p.inner_cv.at("gp+none [magpie]") == b.inner_cv.at("gp+none"));
  REQUIRE(p.inner_cv.count(name) == 1);
  // On this fold the pool beats both members in inner CV (fixed data and seed: deterministic).
  REQUIRE(p.inner_cv.at(name) < std::min(a.inner_cv.at("gp+none"), b.inner_cv.at("gp+none")));
  REQUIRE(p.model == "pool");
  REQUIRE(p.pool == std::vector<std::string>{a_first ? "gp+none [fractions]" : "gp+none [magpie]",
                                             a_first ? "gp+none [magpie]" : "gp+none [fractions]"});
  REQUIRE(p.features == (a_first ? "fractions,magpie" : "magpie,fractions"));
  {  // the members survive the results file
    TempDir tmp("pool");
    const MatbenchRun run = test::one_fold_run(p, data.rows(), 4);
    write_matbench_results(run, tmp.path / "r.json");
    REQUIRE(read_matbench_results(tmp.path / "r.json").folds.at(0).pool == p.pool);
    REQUIRE_THAT(format_matbench_table(run), Contains("chose the pool of " + p.pool[0] + ", " + p.pool[1]));
  }
  for (Eigen::Index i = 0; i < p.loc.size(); ++i) {
    const double mean = 0.5 * (a.loc[i] + b.loc[i]);
    REQUIRE(p.loc[i] == Approx(mean).epsilon(1e-12));
    const double var = 0.5 * (a.scale[i] * a.scale[i] + b.scale[i] * b.scale[i]) +
                       0.5 * ((a.loc[i] - mean) * (a.loc[i] - mean) + (b.loc[i] - mean) * (b.loc[i] - mean));
    REQUIRE(p.scale[i] == Approx(std::sqrt(var)).epsilon(1e-12));
    REQUIRE(p.mean[i] == p.loc[i]);  // identity space without recalibration: the point prediction is loc
  }

  {  // the pool size is part of the signature: a results file is not resumed with another one
    TempDir tmp("pool_resume");
    MatbenchOptions o = opt;
    o.results_path = tmp.path / "r.json";
    run_matbench(data, "y", folds, o);
    o.pool = 3;
    REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, o), InvalidArgument, Contains("pool: 2 in the file vs 3 now"));
    o.pool = 0;  // off: the key is absent, which differs too
    REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, o), InvalidArgument, Contains("pool: 2 in the file vs null now"));
  }

  // Identical members pool to themselves: the same inner-CV score, so the single candidate is kept.
  opt.features = "fractions,fractions";
  const MatbenchFoldResult same = run_matbench(data, "y", folds, opt).folds.at(0);
  REQUIRE(same.inner_cv.at("pool(gp+none | gp+none)") == a.inner_cv.at("gp+none"));
  REQUIRE(same.model == "gp");
  REQUIRE(same.pool.empty());
  REQUIRE(same.loc == a.loc);

  // Pooling and refitting in inner CV both need inner CV.
  opt.inner_folds = 0;
  opt.features = "fractions";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument,
                     Contains("pooling candidates needs inner cross-validation"));
  opt.pool = 0;
  opt.inner_refit = true;
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument,
                     Contains("refitting in inner CV needs inner cross-validation"));
}

TEST_CASE("inner CV refits the GP's hyperparameters on each inner split when asked", "[matbench]") {
  const Dataset data = ternary_dataset(false);
  const MatbenchFolds folds = stride_folds(data.rows(), 4);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.gp_options = R"({"restarts":1,"max_iterations":40})";
  opt.folds = {0};
  const MatbenchFoldResult reused = run_matbench(data, "y", folds, opt).folds.at(0);
  opt.inner_refit = true;
  const MatbenchFoldResult refit = run_matbench(data, "y", folds, opt).folds.at(0);
  // The outer model is the same fit either way: only the inner-CV predictions (so the inner-CV score and
  // the recalibration fitted on them) change.
  REQUIRE(refit.inner_cv.at("gp+none") != reused.inner_cv.at("gp+none"));
  REQUIRE(refit.loc == reused.loc);
  REQUIRE(refit.scale != reused.scale);
}

TEST_CASE("a test row may hold an element that no training row of its fold has", "[matbench]") {
  Dataset data = ternary_dataset(false);
  data.ids.push_back("xe");
  data.formulas.push_back("Fe6Xe");
  data.compositions.push_back(Composition::parse("Fe6Xe"));
  data.targets[0].values.push_back(3.0 * 6.0 / 7.0 + 1.0);
  const MatbenchFolds folds = stride_folds(data.rows(), 4);
  const std::size_t xe_row = data.rows() - 1;
  const std::size_t xe_fold = (xe_row * 7) % 4;
  REQUIRE(std::count(folds.test[xe_fold].begin(), folds.test[xe_fold].end(), xe_row) == 1);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.gp_options = R"({"restarts":1,"max_iterations":40})";
  opt.folds = {xe_fold};
  // The fractions columns cover every element of the dataset, so Xe has a column (0 on every
  // training row) instead of being an error.
  const MatbenchFoldResult f = run_matbench(data, "y", folds, opt).folds.at(0);
  const auto at = std::find(f.rows.begin(), f.rows.end(), xe_row) - f.rows.begin();
  REQUIRE(at < static_cast<long>(f.rows.size()));
  REQUIRE(std::isfinite(f.mean[at]));
  REQUIRE(std::isfinite(f.std[at]));
  REQUIRE(f.metrics.at("mae") < 1.0);
}

TEST_CASE("a random forest is a candidate beside the GP; alone its predictions are the forest's own", "[matbench]") {
  const Dataset data = ternary_dataset(false);
  const MatbenchFolds folds = stride_folds(data.rows(), 4);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.gp_options = R"({"restarts":1,"max_iterations":40})";
  opt.forest_options = R"({"trees":40})";
  opt.seed = 5;
  opt.folds = {2};

  // Both candidates are scored in inner CV and the lower score wins.
  opt.model = "gp,forest";
  const MatbenchFoldResult both = run_matbench(data, "y", folds, opt).folds.at(0);
  REQUIRE(both.inner_cv.size() == 2);
  REQUIRE(both.inner_cv.count("gp+none") == 1);
  REQUIRE(both.inner_cv.count("forest+none") == 1);
  // y is linear in the fractions: the GP interpolates it, piecewise-constant trees cannot.
  CHECK(both.inner_cv.at("gp+none") < both.inner_cv.at("forest+none"));
  CHECK(both.model == "gp");

  // The forest alone without recalibration predicts exactly what a RandomForest fitted on the fold's
  // training rows (same pipeline, the runner's seed for the first candidate) predicts.
  opt.model = "forest";
  opt.recalibrate = false;
  const MatbenchFoldResult alone = run_matbench(data, "y", folds, opt).folds.at(0);
  CHECK(alone.model == "forest");
  const std::size_t k = 2;
  const FoldInputs in = fraction_inputs(data, folds, k);
  const Eigen::MatrixXd& Xtr = in.train;
  const Eigen::MatrixXd& Xte = in.test;
  RandomForest forest(ForestOptions::from_json(opt.forest_options), derive_seed(derive_seed(opt.seed, 0), 100));
  forest.fit(Xtr, target_at(data, in.train_rows));
  const Prediction direct = forest.predict(Xte);
  CHECK(alone.mean == direct.mean);
  CHECK(alone.loc == direct.mean);
  CHECK(alone.std == direct.std());

  // Classification: the forest's mean of the 0/1 label is P(y = 1), used as it is.
  const Dataset labels = ternary_dataset(true);
  const MatbenchFoldResult cls = run_matbench(labels, "y", folds, opt).folds.at(0);
  RandomForest classifier(ForestOptions::from_json(opt.forest_options), derive_seed(derive_seed(opt.seed, 0), 100));
  classifier.fit(Xtr, target_at(labels, in.train_rows));
  CHECK(cls.mean == classifier.predict(Xte).mean);
  CHECK(cls.metrics.at("rocauc_matbench") > 0.9);

  // Hurdle: the forest gate's mean of 1{y > 0} is P(y > 0) as it is (no Φ((m − ½)/σ) as for the GP).
  const Dataset zeros = zero_inflated_dataset();
  MatbenchOptions hurdle = opt;
  hurdle.transform = "hurdle";
  const MatbenchFoldResult h = run_matbench(zeros, "y", folds, hurdle).folds.at(0);
  RandomForest gate(ForestOptions::from_json(opt.forest_options), derive_seed(derive_seed(derive_seed(opt.seed, 0), 100), 7));
  gate.fit(Xtr, target_at(zeros, in.train_rows, positive_label));
  CHECK(h.p_positive == gate.predict(Xte).mean);

  // Bad forest options fail the run before any fold; other forest options do not resume a file.
  opt.forest_options = R"({"tres":40})";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument, Contains("unknown key 'tres'"));
  TempDir tmp("forest");
  opt.forest_options = R"({"trees":40})";
  opt.results_path = tmp.path / "r.json";
  (void)run_matbench(data, "y", folds, opt);
  opt.forest_options = R"({"trees":41})";
  REQUIRE_THROWS_MSG(run_matbench(data, "y", folds, opt), InvalidArgument, Contains("forest_options"));
}

TEST_CASE("forest trim applies to regression targets, not to 0/1 labels (classification, hurdle gate)", "[matbench]") {
  const Dataset data = ternary_dataset(false);
  const MatbenchFolds folds = stride_folds(data.rows(), 4);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.model = "forest";
  opt.forest_options = R"({"trees":40,"trim":0.3})";
  opt.recalibrate = false;
  opt.seed = 5;
  opt.folds = {1};
  const std::size_t k = 1;
  const FoldInputs in = fraction_inputs(data, folds, k);
  // Every fold trains with the run's seed, as `matopt train --seed` does: target 0's seed, then the
  // first candidate's stream.
  const std::uint64_t seed = derive_seed(derive_seed(opt.seed, 0), 100);
  ForestOptions trimmed = ForestOptions::from_json(opt.forest_options), plain = trimmed;
  plain.trim = 0.0;

  // Regression: the trimmed forest's location.
  RandomForest forest(trimmed, seed);
  forest.fit(in.train, target_at(data, in.train_rows));
  CHECK(run_matbench(data, "y", folds, opt).folds.at(0).loc == forest.predict(in.test).mean);

  // Classification: the plain class frequency, which trimming would have sharpened.
  const Dataset labels = ternary_dataset(true);
  RandomForest classifier(plain, seed), sharpened(trimmed, seed);
  classifier.fit(in.train, target_at(labels, in.train_rows));
  sharpened.fit(in.train, target_at(labels, in.train_rows));
  const Eigen::VectorXd frequency = classifier.predict(in.test).mean;
  CHECK(run_matbench(labels, "y", folds, opt).folds.at(0).mean == frequency);
  CHECK(frequency != sharpened.predict(in.test).mean);

  // Hurdle: the gate's P(y > 0) is the plain frequency too.
  const Dataset zeros = zero_inflated_dataset();
  opt.transform = "hurdle";
  const Eigen::VectorXd positive = target_at(zeros, in.train_rows, positive_label);
  RandomForest gate(plain, derive_seed(seed, 7)), sharpened_gate(trimmed, derive_seed(seed, 7));
  gate.fit(in.train, positive);
  sharpened_gate.fit(in.train, positive);
  CHECK(run_matbench(zeros, "y", folds, opt).folds.at(0).p_positive == gate.predict(in.test).mean);
  CHECK(gate.predict(in.test).mean != sharpened_gate.predict(in.test).mean);
}

TEST_CASE("boosted trees use their loss on regression targets and the squared loss on 0/1 labels", "[matbench]") {
  const Dataset data = ternary_dataset(false);
  const MatbenchFolds folds = stride_folds(data.rows(), 4);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.model = "boost";
  opt.boost_options = R"({"rounds":30,"max_leaves":4,"min_samples_leaf":3,"loss":"absolute"})";
  opt.recalibrate = false;
  opt.seed = 5;
  opt.folds = {1};
  const std::size_t k = 1;
  const FoldInputs in = fraction_inputs(data, folds, k);
  // Every fold trains with the run's seed, as `matopt train --seed` does: target 0's seed, then the
  // first candidate's stream.
  const std::uint64_t seed = derive_seed(derive_seed(opt.seed, 0), 100);
  BoostOptions absolute = BoostOptions::from_json(opt.boost_options), squared = absolute;
  squared.loss = "squared";
  auto clipped = [](const Eigen::VectorXd& p) { return Eigen::VectorXd(p.cwiseMax(0.0).cwiseMin(1.0)); };

  // Regression: the model as asked for.
  GradientBoosting model(absolute, seed);
  model.fit(in.train, target_at(data, in.train_rows));
  CHECK(run_matbench(data, "y", folds, opt).folds.at(0).loc == model.predict(in.test).mean);
  {
    // One member has no spread (floored at 1e-12); recalibration on inner-CV residuals must still
    // give σ of the residuals' size, not the floor scaled by the calibration's bounds.
    MatbenchOptions recal = opt;
    recal.recalibrate = true;
    recal.inner_folds = 2;
    const MatbenchFoldResult r = run_matbench(data, "y", folds, recal).folds.at(0);
    CHECK(r.std.minCoeff() > 0.1 * r.metrics.at("mae"));
    CHECK(r.metrics.at("coverage95") > 0.5);
  }

  // Classification: the squared loss's mean of the label (a class frequency, clipped to [0, 1]); the
  // absolute loss would have given the median label instead.
  const Dataset labels = ternary_dataset(true);
  GradientBoosting classifier(squared, seed), median(absolute, seed);
  classifier.fit(in.train, target_at(labels, in.train_rows));
  median.fit(in.train, target_at(labels, in.train_rows));
  const Eigen::VectorXd frequency = clipped(classifier.predict(in.test).mean);
  CHECK(run_matbench(labels, "y", folds, opt).folds.at(0).mean == frequency);
  CHECK(frequency != clipped(median.predict(in.test).mean));

  // Hurdle: the gate's P(y > 0) is that frequency too.
  const Dataset zeros = zero_inflated_dataset();
  opt.transform = "hurdle";
  const Eigen::VectorXd positive = target_at(zeros, in.train_rows, positive_label);
  GradientBoosting gate(squared, derive_seed(seed, 7));
  gate.fit(in.train, positive);
  CHECK(run_matbench(zeros, "y", folds, opt).folds.at(0).p_positive == clipped(gate.predict(in.test).mean));

  // Bad options fail before any fold is run.
  opt.boost_options = R"({"loss":"quantile"})";
  CHECK_THROWS_WITH(run_matbench(zeros, "y", folds, opt), Catch::Contains("loss"));
}

TEST_CASE("a forest grown on every row scores test rows that repeat a training row (zero spread)", "[matbench]") {
  // Every composition twice, with the same target, the two copies in different folds: extremely
  // randomized trees on every row predict each test row exactly, with a spread of exactly 0, which
  // the scores (NLL, PIT intervals) cannot take as it is.
  const Dataset base = ternary_dataset(false);
  const std::size_t n = base.rows();
  std::vector<std::size_t> twice(2 * n);
  for (std::size_t i = 0; i < 2 * n; ++i) twice[i] = i % n;
  const Dataset data = base.subset(twice);
  MatbenchFolds folds;
  folds.n = 2 * n;
  folds.test.resize(2);
  for (std::size_t i = 0; i < 2 * n; ++i) folds.test[(i + i / n) % 2].push_back(i);
  MatbenchOptions opt;
  opt.model = "gp";  // a named model (the default is the auto engine)
  opt.features = "fractions";
  opt.model = "forest";
  opt.forest_options = R"({"trees":20,"split":"random","bootstrap":false,"max_features":1.0})";
  opt.inner_folds = 0;
  opt.folds = {0};
  const MatbenchFoldResult r = run_matbench(data, "y", folds, opt).folds.at(0);
  REQUIRE(r.std.size() == static_cast<Eigen::Index>(n));
  for (Eigen::Index i = 0; i < r.std.size(); ++i) {
    CAPTURE(i);
    CHECK(r.std[i] > 0.0);
    CHECK(r.std[i] <= 1e-12 * (1.0 + std::abs(r.mean[i])));
  }
  CHECK(r.metrics.at("mae") < 1e-12);
  CHECK(std::isfinite(r.metrics.at("nll")));
  // With inner CV the recalibrated spread is floored the same way.
  opt.inner_folds = 2;
  const MatbenchFoldResult cal = run_matbench(data, "y", folds, opt).folds.at(0);
  CHECK(cal.metrics.at("mae") < 1e-12);
  CHECK((cal.std.array() > 0.0).all());
}

TEST_CASE("separate runs combined row by row: median, mean and the Gaussian about the point, by hand", "[matbench]") {
  auto fold = [](std::size_t k, std::vector<double> mean, std::vector<double> sd) {
    MatbenchFoldResult f;
    f.fold = k;
    f.model = "gp";
    f.transform = "none";
    f.features = "magpie";
    f.n_train = 9;
    f.seconds = 2.0;
    f.rows = {4, 7, 9};
    f.y_true = Eigen::Vector3d(2.0, 1.5, 3.0);
    f.mean = Eigen::Map<Eigen::VectorXd>(mean.data(), 3);
    f.std = Eigen::Map<Eigen::VectorXd>(sd.data(), 3);
    f.loc = f.mean;
    f.scale = f.std;
    return f;
  };
  MatbenchRun a = matopt::test::one_fold_run(fold(0, {1, 2, 3}, {0.1, 0.1, 0.1}), 12, 2);
  MatbenchRun b = matopt::test::one_fold_run(fold(0, {2, 2, 6}, {0, 0, 0}), 12, 2);
  MatbenchRun c = matopt::test::one_fold_run(fold(0, {4, 1, 3}, {0.2, 0.2, 0.2}), 12, 2);
  b.folds[0].model = "forest";
  c.folds[0].features = "element_slots";
  // Fold 1 is finished in a and b only, so it is left out.
  a.folds.push_back(fold(1, {0, 0, 0}, {1, 1, 1}));
  b.folds.push_back(fold(1, {0, 0, 0}, {1, 1, 1}));

  const MatbenchRun med = combine_matbench_runs({a, b, c}, {"a.json", "b.json", "c.json"}, "median");
  REQUIRE(med.folds.size() == 1);
  const MatbenchFoldResult& m = med.folds[0];
  CHECK(m.model == "median");
  CHECK(m.pool == std::vector<std::string>{"a.json:gp+none", "b.json:forest+none", "c.json:gp+none"});
  CHECK(m.features == "element_slots,magpie");
  CHECK(m.seconds == 6.0);
  CHECK(m.mean == Eigen::Vector3d(2.0, 2.0, 3.0));
  CHECK(m.std[0] == Approx(std::sqrt((0.01 + 1.0 + 0.0 + 0.04 + 4.0) / 3.0)).epsilon(1e-14));
  CHECK(m.std[1] == Approx(std::sqrt((0.01 + 0.0 + 0.04 + 1.0) / 3.0)).epsilon(1e-14));
  CHECK(m.std[2] == Approx(std::sqrt((0.01 + 9.0 + 0.04) / 3.0)).epsilon(1e-14));
  CHECK(m.metrics.at("mae") == Approx(0.5 / 3.0).epsilon(1e-14));
  CHECK(format_matbench_table(med).find("fold 0: the median of a.json:gp+none, b.json:forest+none") != std::string::npos);

  const MatbenchRun avg = combine_matbench_runs({a, b, c}, {"a", "b", "c"}, "mean");
  CHECK(avg.folds[0].mean[0] == Approx(7.0 / 3.0).epsilon(1e-14));
  CHECK(avg.folds[0].metrics.at("mae") == Approx(0.5).epsilon(1e-14));
  // Two members: the median is the midpoint.
  CHECK(combine_matbench_runs({a, b}, {"a", "b"}, "median").folds.size() == 2);
  CHECK(combine_matbench_runs({a, b}, {"a", "b"}, "median").folds[0].mean[0] == 1.5);

  // The combined run is a results file like any other: written, read and re-scored alike.
  const auto path = std::filesystem::temp_directory_path() / "matopt_combine_test.json";
  write_matbench_results(med, path);
  const MatbenchRun back = rescore_matbench_run(read_matbench_results(path));
  std::filesystem::remove(path);
  CHECK(back.folds[0].mean == m.mean);
  CHECK(back.folds[0].metrics.at("mae") == Approx(m.metrics.at("mae")).epsilon(1e-14));
  CHECK(back.folds[0].metrics.at("nll") == Approx(m.metrics.at("nll")).epsilon(1e-12));

  MatbenchRun other_rows = c;
  other_rows.folds[0].rows = {4, 7, 10};
  CHECK_THROWS_WITH(combine_matbench_runs({a, other_rows}, {"a", "c"}, "median"), Contains("other test rows"));
  MatbenchRun no_sigma = a;  // a regression file without σ, first or later
  no_sigma.folds[0].std.resize(0);
  CHECK_THROWS_WITH(combine_matbench_runs({no_sigma, c}, {"a", "c"}, "median"), Contains("fold 0 of a has no σ"));
  CHECK_THROWS_WITH(combine_matbench_runs({c, no_sigma}, {"c", "a"}, "median"), Contains("fold 0 of a has no σ"));
  MatbenchRun other_y = c;
  other_y.folds[0].y_true[1] = 9.0;
  CHECK_THROWS_WITH(combine_matbench_runs({a, other_y}, {"a", "c"}, "median"), Contains("other targets"));
  MatbenchRun other_task = c;
  other_task.task = "steels";
  CHECK_THROWS_AS(combine_matbench_runs({a, other_task}, {"a", "c"}, "median"), InvalidArgument);
  CHECK_THROWS_AS(combine_matbench_runs({a, b}, {"a", "b"}, "mode"), InvalidArgument);
  CHECK_THROWS_AS(combine_matbench_runs({a}, {"a"}, "median"), InvalidArgument);
  MatbenchRun only_fold1 = a;
  only_fold1.folds.erase(only_fold1.folds.begin());
  CHECK_THROWS_AS(combine_matbench_runs({only_fold1, c}, {"a", "c"}, "median"), InvalidArgument);

  // Classification: the median probability.
  for (MatbenchRun* r : {&a, &b, &c}) {
    r->type = MatbenchTaskType::Classification;
    r->folds[0].y_true = Eigen::Vector3d(1, 0, 1);
    r->folds[0].std.resize(0);
  }
  a.folds[0].mean = Eigen::Vector3d(0.9, 0.6, 0.2);
  b.folds[0].mean = Eigen::Vector3d(0.7, 0.1, 0.8);
  c.folds[0].mean = Eigen::Vector3d(0.2, 0.3, 0.7);
  a.folds.pop_back();
  b.folds.pop_back();
  const MatbenchRun cls = combine_matbench_runs({a, b, c}, {"a", "b", "c"}, "median");
  CHECK(cls.folds[0].mean.isApprox(Eigen::Vector3d(0.7, 0.3, 0.7)));
  CHECK(cls.folds[0].metrics.at("accuracy") == 1.0);
}

TEST_CASE("PIT intervals of the hurdle and log1p distributions, derived by hand", "[matbench]") {
  using matopt::distribution::pit_intervals;
  const double phi1 = 0.8413447460685429;  // Φ(1)
  const Eigen::VectorXd y = Eigen::Vector3d(0.0, std::exp(1.0) - 1.0, std::exp(-1.0) - 1.0 + 1e-300);
  const Eigen::VectorXd loc = Eigen::Vector3d::Zero(), scale = Eigen::Vector3d::Ones();
  // log1p alone: Φ(log1p(y)) at 0, +1 (and y < 0 is below the atom-free support's median).
  // A target of 0 sits on the atom that max(0, y) puts at 0: [0, Φ(0)].
  auto [lo, hi] = pit_intervals(y.head(2), Eigen::VectorXd(), loc.head(2), scale.head(2), true);
  CHECK(lo[0] == 0.0);
  CHECK(hi[0] == Approx(0.5).epsilon(1e-15));
  CHECK(hi[1] == Approx(phi1).epsilon(1e-14));
  CHECK(lo[1] == hi[1]);
  // Hurdle with P(y > 0) = 0.6: a target of 0 sits on the atom, [0, 0.4 + 0.6·Φ(0)] = [0, 0.7] (the
  // Gaussian part's mass below 0 counts at 0); a positive target is continuous: 0.4 + 0.6·Φ(1).
  const Eigen::VectorXd p = Eigen::Vector2d(0.6, 0.6);
  std::tie(lo, hi) = pit_intervals(y.head(2), p, loc.head(2), scale.head(2), true);
  CHECK(lo[0] == 0.0);
  CHECK(hi[0] == Approx(0.7).epsilon(1e-15));
  CHECK(lo[1] == Approx(0.4 + 0.6 * phi1).epsilon(1e-14));
  CHECK(hi[1] == lo[1]);
  // Identity space, Gaussian: Φ((y − loc)/scale).
  std::tie(lo, hi) = pit_intervals(Eigen::Vector2d(3.0, -1.0), Eigen::VectorXd(), Eigen::Vector2d(1.0, 0.0),
                                   Eigen::Vector2d(2.0, 1.0), false);
  CHECK(lo[0] == Approx(phi1).epsilon(1e-14));
  CHECK(hi[1] == Approx(1.0 - phi1).epsilon(1e-14));
  // The atom's upper end is 1 − p when the Gaussian part lies well above 0: [0, 0.4] for p = 0.6.
  std::tie(lo, hi) = pit_intervals(Eigen::VectorXd::Zero(1), Eigen::VectorXd::Constant(1, 0.6),
                                   Eigen::VectorXd::Constant(1, 3.0), Eigen::VectorXd::Constant(1, 0.1), true);
  CHECK(lo[0] == 0.0);
  CHECK(hi[0] == Approx(0.4).epsilon(1e-12));
  CHECK_THROWS_AS(pit_intervals(y, p, loc, scale, true), InvalidArgument);  // 3 rows, 2 probabilities
  CHECK_THROWS_AS(pit_intervals(y.head(1), Eigen::VectorXd(), loc.head(1), Eigen::VectorXd::Zero(1), true),
                  InvalidArgument);

  // The distribution scores of a Gaussian without a point mass are the Gaussian scores.
  const Eigen::VectorXd yy = Eigen::Vector4d(1, 2, 3, 4), m = Eigen::Vector4d(1.5, 2, 2, 5), sd = Eigen::Vector4d(1, 1, 2, 0.5);
  const RegressionScores g = score_matbench_regression(yy, m, sd);
  const RegressionScores d = score_matbench_regression(yy, m, sd, Eigen::VectorXd(), m, sd, false);
  CHECK(d.miscalibration_area == Approx(g.miscalibration_area).epsilon(1e-12));
  CHECK(d.coverage68 == Approx(g.coverage68).epsilon(1e-12));
  CHECK(d.nll == g.nll);
  // A hurdle whose metals are exactly 0 with P(y > 0) = ½: each sits on [0, ½], exactly calibrated, while
  // the Gaussian summary (median 0, small σ) puts every one of them inside every interval.
  const Eigen::VectorXd zeros = Eigen::VectorXd::Zero(4), half = Eigen::VectorXd::Constant(4, 0.5);
  const Eigen::VectorXd small = Eigen::VectorXd::Constant(4, 0.1), far = Eigen::VectorXd::Constant(4, 3.0);
  CHECK(score_matbench_regression(zeros, zeros, small, half, far, small, true).miscalibration_area ==
        Approx(0.0).margin(1e-12));
  CHECK(score_matbench_regression(zeros, zeros, small).miscalibration_area == Approx(0.5).epsilon(1e-12));
}
