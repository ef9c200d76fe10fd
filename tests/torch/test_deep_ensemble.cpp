// SPDX-License-Identifier: MIT
// Deep ensemble through libmatopt, which loads libmatopt_torch.so at run time. Tiny networks and
// small data keep the whole file to a few seconds.
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/deep_ensemble.hpp"

using matopt::Archive;
using matopt::make_deep_ensemble;
using matopt::Prediction;

namespace {

const std::string kSmall =
    R"({"members": 5, "hidden": [32, 32], "epochs": 300, "batch_size": 32, "learning_rate": 0.01,
        "patience": 30, "validation_fraction": 0.15, "weight_decay": 1e-5})";

struct Toy {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
};

// y = sin(3x) + noise_sd(x) * N(0, 1) on x uniform in [-1, 1].
template <class NoiseSd>
Toy sine_data(int n, std::uint64_t seed, NoiseSd noise_sd) {
  matopt::Rng rng(seed);
  Toy t{Eigen::MatrixXd(n, 1), Eigen::VectorXd(n)};
  for (int i = 0; i < n; ++i) {
    const double x = 2.0 * matopt::uniform01(rng) - 1.0;
    t.X(i, 0) = x;
    t.y(i) = std::sin(3.0 * x) + noise_sd(x) * matopt::standard_normal(rng);
  }
  return t;
}

Eigen::MatrixXd grid(double lo, double hi, int n) {
  Eigen::MatrixXd X(n, 1);
  for (int i = 0; i < n; ++i) X(i, 0) = lo + (hi - lo) * i / (n - 1);
  return X;
}

bool bit_equal(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  if (a.size() != b.size()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (std::memcmp(&a(i), &b(i), sizeof(double)) != 0) return false;
  return true;
}

bool same_prediction(const Prediction& a, const Prediction& b) {
  return bit_equal(a.mean, b.mean) && bit_equal(a.variance, b.variance) &&
         bit_equal(a.epistemic_variance, b.epistemic_variance) && bit_equal(a.aleatoric_variance, b.aleatoric_variance);
}

}  // namespace

TEST_CASE("plugin loads from next to libmatopt", "[ensemble]") {
  std::string why;
  INFO(why);
  REQUIRE(matopt::deep_ensemble_available(&why));
  REQUIRE(why.empty());
}

TEST_CASE("1-D regression: accurate inside the data, more epistemic uncertainty outside", "[ensemble]") {
  const Toy t = sine_data(200, 1, [](double) { return 0.1; });
  auto model = make_deep_ensemble(kSmall, 7);
  REQUIRE(model->kind() == "ensemble");
  REQUIRE_FALSE(model->is_fitted());
  model->fit(t.X, t.y);
  REQUIRE(model->is_fitted());

  const Eigen::MatrixXd inside = grid(-0.9, 0.9, 37);
  const Prediction p = model->predict(inside);
  REQUIRE(p.size() == 37);
  double mae = 0.0;
  for (int i = 0; i < 37; ++i) mae += std::abs(p.mean(i) - std::sin(3.0 * inside(i, 0))) / 37.0;
  CHECK(mae < 0.05);
  // Noise sd is 0.1: the learned aleatoric sd should be of that order inside the data.
  const double alea_sd = std::sqrt(p.aleatoric_variance.mean());
  CHECK(alea_sd > 0.05);
  CHECK(alea_sd < 0.2);
  for (int i = 0; i < 37; ++i) {
    CHECK(p.variance(i) == Approx(p.epistemic_variance(i) + p.aleatoric_variance(i)).epsilon(1e-12));
    CHECK(p.epistemic_variance(i) >= 0.0);
  }

  const Eigen::MatrixXd far = grid(2.5, 3.5, 5);
  const Prediction q = model->predict(far);
  const double epi_inside = std::sqrt(p.epistemic_variance.mean());
  const double epi_far = std::sqrt(q.epistemic_variance.mean());
  CHECK(epi_far > 5.0 * epi_inside);
}

TEST_CASE("clamp_inputs predicts at the nearest point of the training box", "[ensemble]") {
  const Toy t = sine_data(60, 3, [](double) { return 0.1; });
  const double x_max = t.X.maxCoeff(), x_min = t.X.minCoeff();
  auto clamped = make_deep_ensemble(R"({"members": 2, "hidden": [8], "epochs": 20, "clamp_inputs": true})", 3);
  clamped->fit(t.X, t.y);
  const Eigen::MatrixXd far = (Eigen::MatrixXd(3, 1) << x_max + 10.0, x_max, x_min - 100.0).finished();
  const Prediction p = clamped->predict(far);
  CHECK(p.mean(0) == p.mean(1));  // bit for bit: the same network input
  CHECK(p.epistemic_variance(0) == p.epistemic_variance(1));
  const Prediction at_min = clamped->predict(Eigen::MatrixXd::Constant(1, 1, x_min));
  CHECK(p.mean(2) == at_min.mean(0));
  Archive ar;
  clamped->save(ar);
  auto loaded = make_deep_ensemble("", 0);
  loaded->load(ar);
  CHECK(loaded->predict(far).mean == p.mean);
  // Off (the default), the members extrapolate and disagree more far away.
  auto free_model = make_deep_ensemble(R"({"members": 2, "hidden": [8], "epochs": 20})", 3);
  free_model->fit(t.X, t.y);
  const Prediction q = free_model->predict(far);
  CHECK(q.mean(0) != q.mean(1));
  CHECK_THROWS_AS(make_deep_ensemble(R"({"clamp_inputs": 1})", 0), matopt::InvalidArgument);
}

TEST_CASE("heteroscedastic noise is recovered roughly", "[ensemble]") {
  // Noise sd grows linearly from 0.05 at x = -1 to 0.5 at x = 1.
  auto sd = [](double x) { return 0.05 + 0.225 * (x + 1.0); };
  const Toy t = sine_data(600, 2, sd);
  auto model = make_deep_ensemble(kSmall, 3);
  model->fit(t.X, t.y);
  Eigen::MatrixXd X(2, 1);
  X << -0.8, 0.8;
  const Prediction p = model->predict(X);
  const double low = std::sqrt(p.aleatoric_variance(0)), high = std::sqrt(p.aleatoric_variance(1));
  // True values 0.095 and 0.455.
  CHECK(high > 3.0 * low);
  CHECK(low == Approx(sd(-0.8)).epsilon(0.35));
  CHECK(high == Approx(sd(0.8)).epsilon(0.25));
}

TEST_CASE("same data and seed give bit-identical predictions", "[ensemble]") {
  const Toy t = sine_data(80, 4, [](double) { return 0.1; });
  const std::string opts = R"({"members": 3, "hidden": [16], "epochs": 40, "batch_size": 16, "threads": 2)";
  auto a = make_deep_ensemble(opts + "}", 11);
  auto b = make_deep_ensemble(opts + "}", 11);
  auto c = make_deep_ensemble(opts + "}", 12);
  // Members train on separate threads with their own seeds, so the thread count does not matter.
  auto serial = make_deep_ensemble(R"({"members": 3, "hidden": [16], "epochs": 40, "batch_size": 16, "threads": 1})", 11);
  a->fit(t.X, t.y);
  b->fit(t.X, t.y);
  c->fit(t.X, t.y);
  serial->fit(t.X, t.y);
  const Eigen::MatrixXd X = grid(-1.5, 1.5, 31);
  const Prediction pa = a->predict(X), pb = b->predict(X), pc = c->predict(X);
  CHECK(same_prediction(pa, pb));
  CHECK(same_prediction(pa, serial->predict(X)));
  CHECK_FALSE(bit_equal(pa.mean, pc.mean));
  CHECK(bit_equal(a->sample_joint(X, 4, 5).reshaped(), b->sample_joint(X, 4, 5).reshaped()));
}

TEST_CASE("joint samples are whole member functions whose moments give mean and epistemic variance",
          "[ensemble]") {
  const Toy t = sine_data(100, 5, [](double) { return 0.1; });
  auto model = make_deep_ensemble(R"({"members": 4, "hidden": [16], "epochs": 30})", 2);
  model->fit(t.X, t.y);
  const Eigen::MatrixXd X = grid(-2.0, 2.0, 9);
  const Eigen::MatrixXd S = model->sample_joint(X, 200, 99);
  REQUIRE(S.rows() == 200);
  REQUIRE(S.cols() == 9);
  // 200 uniform draws from 4 members miss one with probability 4 * 0.75^200 (~1e-25).
  std::set<std::vector<double>> distinct;
  for (Eigen::Index s = 0; s < S.rows(); ++s) distinct.insert(std::vector<double>(S.row(s).begin(), S.row(s).end()));
  REQUIRE(distinct.size() == 4);
  Eigen::MatrixXd members(4, 9);
  int k = 0;
  for (const auto& row : distinct) members.row(k++) = Eigen::Map<const Eigen::RowVectorXd>(row.data(), 9);
  const Prediction p = model->predict(X);
  const Eigen::RowVectorXd mu = members.colwise().mean();
  const Eigen::RowVectorXd epi = (members.rowwise() - mu).array().square().colwise().sum() / 4.0;
  for (int i = 0; i < 9; ++i) {
    CHECK(p.mean(i) == Approx(mu(i)).epsilon(1e-12).margin(1e-12));
    CHECK(p.epistemic_variance(i) == Approx(epi(i)).epsilon(1e-9).margin(1e-15));
  }
  CHECK(bit_equal(S.reshaped(), model->sample_joint(X, 200, 99).reshaped()));
  CHECK(model->sample_joint(X, 0, 1).rows() == 0);
}

TEST_CASE("save/load and clone reproduce predictions bit for bit", "[ensemble]") {
  const Toy t = sine_data(60, 6, [](double) { return 0.2; });
  Eigen::MatrixXd X2(60, 2);
  X2 << t.X, t.X.array().square().matrix();
  auto model = make_deep_ensemble(R"({"members": 2, "hidden": [8, 4], "epochs": 20, "activation": "tanh"})", 5);
  model->fit(X2, t.y * 10.0 + Eigen::VectorXd::Constant(60, 3.0));
  const Prediction p = model->predict(X2);

  Archive ar;
  model->save(ar);
  CHECK(ar.attr_string("kind") == "ensemble");
  CHECK(ar.attr_int("schema_version") == 3);
  CHECK(ar.vector("x_min").size() == 2);
  CHECK(ar.child("weights").matrix("member1_layer1_weight").rows() == 4);
  CHECK(ar.child("weights").matrix("member1_layer1_weight").cols() == 8);
  CHECK(ar.child("weights").vector("member0_layer2_bias").size() == 2);

  auto loaded = make_deep_ensemble("", 0);
  loaded->load(ar);
  REQUIRE(loaded->is_fitted());
  CHECK(same_prediction(p, loaded->predict(X2)));

  const auto path = std::filesystem::temp_directory_path() /
                    ("matopt_ens_test_" + std::to_string(static_cast<long>(::getpid())) + ".h5");
  matopt::save_archive(ar, path, "matopt-model", 1);
  auto from_file = make_deep_ensemble("", 0);
  from_file->load(matopt::load_archive(path, "matopt-model", 1));
  std::filesystem::remove(path);
  CHECK(same_prediction(p, from_file->predict(X2)));

  auto copy = model->clone();
  CHECK(same_prediction(p, copy->predict(X2)));
  // The clone owns its own weights: refitting the original leaves it unchanged.
  model->fit(X2, t.y);
  CHECK(same_prediction(p, copy->predict(X2)));

  Archive wrong = ar;
  wrong.child("weights").set("member0_layer0_weight", Eigen::MatrixXd(Eigen::MatrixXd::Zero(3, 3)));
  auto target = make_deep_ensemble("", 0);
  CHECK_THROWS_AS(target->load(wrong), matopt::IOError);
  CHECK_FALSE(target->is_fitted());
}

TEST_CASE("classification on a separable set", "[ensemble]") {
  matopt::Rng rng(8);
  auto draw = [&](int n, Eigen::MatrixXd& X, Eigen::VectorXd& y) {
    X.resize(n, 2);
    y.resize(n);
    for (int i = 0; i < n;) {
      const double a = 4.0 * matopt::uniform01(rng) - 2.0, b = 4.0 * matopt::uniform01(rng) - 2.0;
      if (std::abs(a + b) < 0.2) continue;  // keep a margin so the classes separate
      X(i, 0) = a;
      X(i, 1) = b;
      y(i) = a + b > 0 ? 1.0 : 0.0;
      ++i;
    }
  };
  Eigen::MatrixXd X, Xt;
  Eigen::VectorXd y, yt;
  draw(200, X, y);
  draw(200, Xt, yt);
  auto model = make_deep_ensemble(R"({"members": 3, "hidden": [16], "epochs": 100, "learning_rate": 0.01})", 1,
                                  /*classification=*/true);
  model->fit(X, y);
  const Prediction p = model->predict(Xt);
  int correct = 0;
  for (int i = 0; i < 200; ++i) {
    REQUIRE(p.mean(i) >= 0.0);
    REQUIRE(p.mean(i) <= 1.0);
    correct += (p.mean(i) > 0.5) == (yt(i) == 1.0);
    // Law of total variance for a Bernoulli mixture: epistemic + aleatoric = p(1 - p).
    CHECK(p.variance(i) == Approx(p.mean(i) * (1.0 - p.mean(i))).epsilon(1e-9).margin(1e-15));
  }
  CHECK(correct >= 190);

  Eigen::VectorXd bad = y;
  bad(3) = 0.5;
  CHECK_THROWS_AS(model->fit(X, bad), matopt::DataError);
}

TEST_CASE("bad input fails clearly or works sensibly", "[ensemble]") {
  auto model = make_deep_ensemble(R"({"members": 2, "hidden": [8], "epochs": 200, "learning_rate": 0.01})", 1);
  Eigen::MatrixXd X = grid(-1.0, 1.0, 10);
  Eigen::VectorXd y = X.col(0);

  CHECK_THROWS_AS(model->predict(X), matopt::InvalidArgument);  // not fitted
  CHECK_THROWS_AS(model->fit(Eigen::MatrixXd(0, 1), Eigen::VectorXd(0)), matopt::DataError);
  CHECK_THROWS_AS(model->fit(X, Eigen::VectorXd::Zero(9)), matopt::DataError);
  Eigen::MatrixXd Xnan = X;
  Xnan(4, 0) = std::nan("");
  CHECK_THROWS_WITH(model->fit(Xnan, y), Catch::Contains("row 4") && Catch::Contains("finite"));
  Eigen::VectorXd yinf = y;
  yinf(2) = INFINITY;
  CHECK_THROWS_AS(model->fit(X, yinf), matopt::DataError);

  CHECK_THROWS_WITH(make_deep_ensemble(R"({"epoch": 3})", 1), Catch::Contains("'epoch'") && Catch::Contains("epochs"));
  CHECK_THROWS_WITH(make_deep_ensemble(R"({"members": 0})", 1), Catch::Contains("members"));
  CHECK_THROWS_WITH(make_deep_ensemble(R"({"activation": "sigmoid"})", 1), Catch::Contains("relu"));
  CHECK_THROWS_AS(make_deep_ensemble("{not json", 1), matopt::InvalidArgument);

  // Constant targets: standardized to zero, predictions stay at the constant.
  model->fit(X, Eigen::VectorXd::Constant(10, 3.0));
  Prediction p = model->predict(X);
  for (int i = 0; i < 10; ++i) {
    CHECK(p.mean(i) == Approx(3.0).margin(0.05));
    CHECK(std::isfinite(p.variance(i)));
  }
  CHECK(model->predict(Eigen::MatrixXd(0, 1)).size() == 0);
  CHECK(model->sample_joint(Eigen::MatrixXd(0, 1), 3, 1).rows() == 3);
  // A single row: no validation split; finite predictions near the one target.
  model->fit(Eigen::MatrixXd::Constant(1, 3, 2.0), Eigen::VectorXd::Constant(1, -1.5));
  p = model->predict(Eigen::MatrixXd::Constant(2, 3, 2.0));
  CHECK(p.mean(0) == Approx(-1.5).margin(0.05));
  CHECK(std::isfinite(p.variance(1)));
  CHECK_THROWS_AS(model->predict(X), matopt::DataError);  // 1 column, fitted on 3
}

TEST_CASE("missing plugin gives a BackendError naming the path", "[ensemble]") {
  auto before = make_deep_ensemble(R"({"members": 2, "hidden": [4], "epochs": 5})", 1);
  ::setenv("MATOPT_TORCH_PLUGIN", "/nonexistent/libmatopt_torch.so", 1);
  matopt::reset_deep_ensemble_loader();
  std::string why;
  CHECK_FALSE(matopt::deep_ensemble_available(&why));
  CHECK_THAT(why, Catch::Contains("/nonexistent/libmatopt_torch.so") && Catch::Contains("MATOPT_TORCH_PLUGIN"));
  CHECK_THROWS_AS(make_deep_ensemble("", 1), matopt::BackendError);
  CHECK_THROWS_WITH(make_deep_ensemble("", 1), Catch::Contains("/nonexistent/libmatopt_torch.so"));
  // A model created before keeps working: the loaded library stays mapped.
  const Eigen::MatrixXd X = grid(-1.0, 1.0, 8);
  before->fit(X, X.col(0));
  CHECK(before->predict(X).size() == 8);

  ::unsetenv("MATOPT_TORCH_PLUGIN");
  matopt::reset_deep_ensemble_loader();
  CHECK(matopt::deep_ensemble_available());
}

TEST_CASE("float32 networks train and round-trip through the float64 archive", "[ensemble]") {
  const Toy t = sine_data(200, 9, [](double) { return 0.1; });
  auto model = make_deep_ensemble(
      R"({"members": 2, "hidden": [32, 32], "epochs": 150, "batch_size": 32, "learning_rate": 0.01, "dtype": "float32"})", 4);
  model->fit(t.X, t.y);
  const Eigen::MatrixXd X = grid(-0.9, 0.9, 19);
  const Prediction p = model->predict(X);
  double mae = 0.0;
  for (int i = 0; i < 19; ++i) mae += std::abs(p.mean(i) - std::sin(3.0 * X(i, 0))) / 19.0;
  CHECK(mae < 0.06);
  Archive ar;
  model->save(ar);
  auto loaded = make_deep_ensemble("", 0);
  loaded->load(ar);
  // float32 -> float64 -> float32 is exact, so the reloaded networks are the same.
  CHECK(same_prediction(p, loaded->predict(X)));
}
