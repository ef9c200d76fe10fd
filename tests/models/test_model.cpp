// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/gaussian_process.hpp"
#include "matopt/models/model.hpp"

using namespace matopt;

namespace {

// Process-only data: y = sin(x1) + x2 + noise, ok = [x1 > 3], with one missing y.
Dataset make_data(int n, std::uint64_t seed) {
  Rng rng(seed);
  Dataset d;
  Column x1{"x1", ColumnType::Continuous, {}, {}}, x2{"x2", ColumnType::Continuous, {}, {}};
  Column y{"y", ColumnType::Continuous, {}, {}}, ok{"ok", ColumnType::Boolean, {}, {}};
  for (int i = 0; i < n; ++i) {
    d.ids.push_back("r" + std::to_string(i));
    x1.values.push_back(6.0 * uniform01(rng));
    x2.values.push_back(uniform01(rng));
    y.values.push_back(std::sin(x1.values.back()) + x2.values.back() + 0.05 * standard_normal(rng));
    ok.values.push_back(x1.values.back() > 3.0 ? 1.0 : 0.0);
  }
  y.values[3] = std::nan("");
  d.process = {x1, x2};
  d.targets = {y, ok};
  return d;
}

ModelOptions small_options() {
  ModelOptions o;
  o.model = "gp";
  o.features.features = "none";
  o.surrogate_options = R"({"restarts":2,"threads":1})";
  o.seed = 5;
  return o;
}

}  // namespace

TEST_CASE("Model trains one surrogate per target and round-trips through HDF5", "[model]") {
  const Dataset train = make_data(60, 1), test = make_data(25, 2);
  ModelOptions o = small_options();
  o.calibrate = true;
  const Model m = Model::train(train, {"y", "ok"}, o);
  REQUIRE(m.targets().size() == 2);
  CHECK(m.targets()[0].training_rows == 59);  // the missing y is skipped for y only
  CHECK(m.targets()[1].training_rows == 60);
  CHECK(m.targets()[0].calibration.fitted);
  CHECK_FALSE(m.targets()[1].calibration.fitted);  // boolean: no std recalibration
  CHECK(m.targets()[1].classification);
  CHECK(m.surrogate(0).kind() == "gp");

  const auto p = m.predict(test);
  REQUIRE(p.size() == 2);
  double err = 0;
  for (Eigen::Index i = 0; i < p[0].size(); ++i) {
    const double truth = std::sin(test.process[0].values[static_cast<std::size_t>(i)]) +
                         test.process[1].values[static_cast<std::size_t>(i)];
    if (i != 3) err = std::max(err, std::abs(p[0].mean[i] - truth));
  }
  CHECK(err < 0.3);
  CHECK((p[1].mean.array() >= 0.0).all());
  CHECK((p[1].mean.array() <= 1.0).all());
  CHECK(p[0].variance.allFinite());

  const auto path = std::filesystem::temp_directory_path() / "matopt_test_model_roundtrip.h5";
  m.save(path);
  const Model back = Model::load(path);
  std::filesystem::remove(path);
  const auto q = back.predict(test);
  for (std::size_t t = 0; t < 2; ++t) {
    CHECK((p[t].mean.array() == q[t].mean.array()).all());
    CHECK((p[t].variance.array() == q[t].variance.array()).all());
    CHECK((p[t].epistemic_variance.array() == q[t].epistemic_variance.array()).all());
  }
  CHECK(back.targets()[0].calibration.a == m.targets()[0].calibration.a);
  CHECK(back.targets()[1].name == "ok");
}

TEST_CASE("Model training is deterministic and validates its arguments", "[model]") {
  const Dataset train = make_data(40, 3), test = make_data(10, 4);
  const auto a = Model::train(train, {"y"}, small_options()).predict(test);
  const auto b = Model::train(train, {"y"}, small_options()).predict(test);
  CHECK((a[0].mean.array() == b[0].mean.array()).all());
  CHECK_THROWS_AS(Model::train(train, {"nope"}, small_options()), InvalidArgument);
  CHECK_THROWS_AS(Model::train(train, {}, small_options()), InvalidArgument);
  CHECK_THROWS_AS(Model::train(train, {"y", "y"}, small_options()), InvalidArgument);
  ModelOptions bad = small_options();
  bad.model = "svm";
  CHECK_THROWS_WITH(Model::train(train, {"y"}, bad), Catch::Contains("valid: auto, gp, ensemble, forest"));
  Dataset empty_target = train;
  for (auto& v : empty_target.targets[0].values) v = std::nan("");
  CHECK_THROWS_AS(Model::train(empty_target, {"y"}, small_options()), DataError);
  CHECK_THROWS_AS(Model::load("/nonexistent/dir/model.h5"), IOError);
}

TEST_CASE("Model refuses what it cannot learn: no features, one distinct value, one row", "[model][train]") {
  const Dataset train = make_data(20, 3);
  Dataset no_features = train;
  no_features.process.clear();
  CHECK_THROWS_WITH(Model::train(no_features, {"y"}, small_options()),
                    Catch::StartsWith("train: the model would have 0 input features (no composition column, no process columns)"));
  Dataset constant = train;
  for (auto& v : constant.targets[0].values) v = 2.5;
  CHECK_THROWS_WITH(Model::train(constant, {"y"}, small_options()),
                    "train: target 'y' has one distinct value (2.5) in all 20 rows with a value; there is nothing to learn");
  Dataset one = train;
  for (std::size_t i = 1; i < one.targets[0].values.size(); ++i) one.targets[0].values[i] = std::nan("");
  CHECK_THROWS_WITH(Model::train(one, {"y"}, small_options()),
                    "train: target 'y' has 1 row with a value; a model needs at least 2");
}
