// SPDX-License-Identifier: MIT
// The deep ensemble's attention architecture (tokens from featurizer `element_slots`) and the
// options it brought (Laplace loss, AdamW, cosine schedule, gradient clipping). Tiny networks on
// small synthetic composition data keep this file to a few seconds.
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "matopt/core/archive.hpp"
#include "matopt/core/composition.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/featurizer.hpp"
#include "matopt/models/deep_ensemble.hpp"

using matopt::kElementSlots;
using matopt::make_deep_ensemble;
using matopt::Prediction;

namespace {

const auto S = static_cast<Eigen::Index>(kElementSlots);

const std::string kTiny =
    R"({"architecture": "attention", "members": 2, "d_model": 16, "heads": 2, "attention_layers": 1,
        "feedforward": 32, "hidden": [32], "activation": "silu", "epochs": 80, "batch_size": 32,
        "learning_rate": 0.003, "validation_fraction": 0, "optimizer": "adamw", "schedule": "cosine",
        "clip_norm": 1.0, "threads": 1})";

struct Set {
  Eigen::MatrixXd X;  // element_slots columns, then `extra` columns
  Eigen::VectorXd y;
};

// Compositions of one to three of six elements with integer amounts 1..9, and a target with an
// additive part (a value per element) and a pairwise part (products of fractions), plus optionally one
// process column t in [0, 1] that adds 2 t.
Set compositions(int n, std::uint64_t seed, bool with_extra = false) {
  const std::vector<int> elements = {3, 8, 12, 14, 26, 29};
  const std::vector<double> value = {-1.0, 0.5, 1.5, -0.5, 1.0, 0.0};
  matopt::Rng rng(seed);
  const auto featurizer = matopt::make_featurizer("element_slots");
  Set s{Eigen::MatrixXd::Zero(n, 2 * S + (with_extra ? 1 : 0)), Eigen::VectorXd(n)};
  std::vector<double> row(featurizer->size());
  for (int i = 0; i < n; ++i) {
    const int k = 1 + static_cast<int>(matopt::uniform_index(rng, 3));
    std::vector<int> picked;
    std::string formula;
    while (static_cast<int>(picked.size()) < k) {
      const int e = static_cast<int>(matopt::uniform_index(rng, elements.size()));
      if (std::find(picked.begin(), picked.end(), e) != picked.end()) continue;
      picked.push_back(e);
      formula += std::string(matopt::element_symbol(elements[e])) + std::to_string(1 + matopt::uniform_index(rng, 9));
    }
    const auto c = matopt::Composition::parse(formula);
    featurizer->featurize(c, row.data());
    for (Eigen::Index j = 0; j < 2 * S; ++j) s.X(i, j) = row[j];
    double y = 0.0;
    const auto z = c.elements();
    const auto x = c.fractions();
    for (std::size_t a = 0; a < z.size(); ++a) {
      const auto at = std::find(elements.begin(), elements.end(), z[a]) - elements.begin();
      y += x[a] * value[at];
      for (std::size_t b = a + 1; b < z.size(); ++b) y += 4.0 * x[a] * x[b];
    }
    if (with_extra) {
      const double t = matopt::uniform01(rng);
      s.X(i, 2 * S) = t;
      y += 2.0 * t;
    }
    s.y(i) = y;
  }
  return s;
}

double rmse(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return std::sqrt((a - b).squaredNorm() / static_cast<double>(a.size()));
}
double sd(const Eigen::VectorXd& a) { return std::sqrt((a.array() - a.mean()).square().mean()); }

bool bit_equal(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(double) * a.size()) == 0;
}
bool same_prediction(const Prediction& a, const Prediction& b) {
  return bit_equal(a.mean, b.mean) && bit_equal(a.variance, b.variance) &&
         bit_equal(a.epistemic_variance, b.epistemic_variance) && bit_equal(a.aleatoric_variance, b.aleatoric_variance);
}

}  // namespace

TEST_CASE("attention learns a composition function with pair terms", "[ensemble][attention]") {
  const Set train = compositions(400, 1), test = compositions(150, 2);
  auto model = make_deep_ensemble(kTiny, 3);
  model->fit(train.X, train.y);
  const Prediction p = model->predict(test.X);
  INFO("test RMSE " << rmse(p.mean, test.y) << ", target sd " << sd(test.y));
  CHECK(rmse(p.mean, test.y) < 0.05 * sd(test.y));
  CHECK((p.variance.array() > 0).all());
  CHECK(p.variance.isApprox(p.epistemic_variance + p.aleatoric_variance));
}

TEST_CASE("attention: slot order does not matter, and rows predict alike alone or together", "[ensemble][attention]") {
  const Set train = compositions(120, 4);
  auto model = make_deep_ensemble(kTiny, 5);
  model->fit(train.X, train.y);
  Eigen::MatrixXd X = train.X.topRows(12);
  const Prediction together = model->predict(X);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const Prediction alone = model->predict(X.row(i));
    CHECK(alone.mean(0) == Approx(together.mean(i)).epsilon(1e-12));
    CHECK(alone.variance(0) == Approx(together.variance(i)).epsilon(1e-12));
  }
  // Reverse the filled slots of every row: a permutation of the tokens, so the same composition.
  Eigen::MatrixXd reversed = X;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    Eigen::Index filled = 0;
    while (filled < S && X(i, filled) != 0.0) ++filled;
    for (Eigen::Index j = 0; j < filled; ++j) {
      reversed(i, j) = X(i, filled - 1 - j);
      reversed(i, S + j) = X(i, S + filled - 1 - j);
    }
  }
  CHECK(reversed != X);
  const Prediction swapped = model->predict(reversed);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    CHECK(swapped.mean(i) == Approx(together.mean(i)).epsilon(1e-12));
    CHECK(swapped.variance(i) == Approx(together.variance(i)).epsilon(1e-12));
  }
}

TEST_CASE("attention uses the columns after the slots", "[ensemble][attention]") {
  const Set train = compositions(400, 6, /*with_extra=*/true), test = compositions(150, 7, true);
  auto model = make_deep_ensemble(kTiny, 8);
  model->fit(train.X, train.y);
  const Prediction p = model->predict(test.X);
  INFO("test RMSE " << rmse(p.mean, test.y) << ", target sd " << sd(test.y));
  CHECK(rmse(p.mean, test.y) < 0.05 * sd(test.y));
  // Raising t by 0.5 raises the target by exactly 1.
  Eigen::MatrixXd shifted = test.X;
  shifted.col(2 * S) = (shifted.col(2 * S).array() * 0.5).matrix();
  const Prediction lower = model->predict(shifted);
  const double mean_gain = (p.mean - lower.mean).mean() / (test.X.col(2 * S).mean() * 0.5);
  CHECK(mean_gain == Approx(2.0).epsilon(0.2));
}

TEST_CASE("attention is deterministic and round-trips through the archive", "[ensemble][attention]") {
  const Set train = compositions(100, 9);
  auto a = make_deep_ensemble(kTiny, 11), b = make_deep_ensemble(kTiny, 11), c = make_deep_ensemble(kTiny, 12);
  a->fit(train.X, train.y);
  b->fit(train.X, train.y);
  c->fit(train.X, train.y);
  const Prediction p = a->predict(train.X);
  CHECK(same_prediction(p, b->predict(train.X)));
  CHECK_FALSE(bit_equal(p.mean, c->predict(train.X).mean));

  matopt::Archive ar;
  a->save(ar);
  const auto& w = ar.child("weights");
  CHECK(w.matrix("member1_embedding").rows() == matopt::kMaxZ + 1);
  CHECK(w.matrix("member1_embedding").cols() == 16);
  CHECK(w.matrix("member0_attention0_qkv_weight").rows() == 48);
  CHECK(w.matrix("member0_layer0_weight").cols() == 16);  // pooled tokens only, no extra columns
  CHECK(w.matrix("element_table").rows() == matopt::kMaxZ + 1);
  auto loaded = make_deep_ensemble("", 0);
  loaded->load(ar);
  CHECK(same_prediction(p, loaded->predict(train.X)));
  CHECK(same_prediction(p, a->clone()->predict(train.X)));

  // The element table is part of the model: a stored table is used as stored.
  matopt::Archive changed = ar;
  Eigen::MatrixXd table = w.matrix("element_table");
  table.array() += 1.0;
  changed.child("weights").set("element_table", table);
  auto other = make_deep_ensemble("", 0);
  other->load(changed);
  CHECK_FALSE(bit_equal(p.mean, other->predict(train.X).mean));
}

TEST_CASE("attention with early stopping in float32 gives the same networks on 1 and 2 threads", "[ensemble][attention]") {
  const Set train = compositions(300, 15), test = compositions(100, 16);
  std::string options = kTiny;
  options.replace(options.find(R"("validation_fraction": 0)"), 24, R"("validation_fraction": 0.2, "patience": 20)");
  options.replace(options.find(R"("threads": 1)"), 12, R"("dtype": "float32", "loss": "laplace", "threads": 1)");
  auto one = make_deep_ensemble(options, 17);
  one->fit(train.X, train.y);
  const Prediction p = one->predict(test.X);
  INFO("test RMSE " << rmse(p.mean, test.y) << ", target sd " << sd(test.y));
  CHECK(rmse(p.mean, test.y) < 0.1 * sd(test.y));
  options.replace(options.find(R"("threads": 1)"), 12, R"("threads": 2)");
  auto two = make_deep_ensemble(options, 17);
  two->fit(train.X, train.y);
  CHECK(same_prediction(p, two->predict(test.X)));
}

TEST_CASE("attention refuses inputs that are not element slots", "[ensemble][attention]") {
  const Set train = compositions(40, 13);
  auto model = make_deep_ensemble(kTiny, 1);
  CHECK_THROWS_WITH(model->fit(train.X.leftCols(10), train.y.head(40)),
                    Catch::Contains("needs the 32 columns of featurizer 'element_slots'"));
  Eigen::MatrixXd bad = train.X;
  bad(3, 0) = 2.5;  // not an atomic number
  CHECK_THROWS_WITH(model->fit(bad, train.y), Catch::Contains("X row 3, element slot 0"));
  bad = train.X;
  bad(5, 0) = 0.0;  // a hole before the filled slots
  bad(5, 1) = 8.0;
  bad(5, S + 1) = 0.5;
  CHECK_THROWS_AS(model->fit(bad, train.y), matopt::DataError);
  CHECK_FALSE(model->is_fitted());
  model->fit(train.X, train.y);
  bad = train.X.topRows(2);
  bad(1, S) = 0.0;  // a filled slot with no fraction
  CHECK_THROWS_WITH(model->predict(bad), Catch::Contains("X row 1, element slot 0"));

  CHECK_THROWS_AS(make_deep_ensemble(R"({"architecture": "attention", "d_model": 16, "heads": 3})", 0),
                  matopt::InvalidArgument);
  CHECK_THROWS_AS(make_deep_ensemble(R"({"architecture": "cnn"})", 0), matopt::InvalidArgument);
  CHECK_NOTHROW(make_deep_ensemble(R"({"heads": 3})", 0));  // attention settings do not bind an MLP
  CHECK_THROWS_AS(make_deep_ensemble(R"({"loss": "huber"})", 0), matopt::InvalidArgument);
  CHECK_THROWS_AS(make_deep_ensemble(R"({"clip_norm": -1})", 0), matopt::InvalidArgument);
}

TEST_CASE("Laplace loss: the variance is 2 b^2 of the learned scale", "[ensemble]") {
  // Constant target plus Laplace noise of scale b = 0.5: the median is 1, the variance 2 b^2 = 0.5.
  matopt::Rng rng(21);
  const int n = 2000;
  Eigen::MatrixXd X(n, 1);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    X(i, 0) = 2.0 * matopt::uniform01(rng) - 1.0;
    const double u = matopt::uniform01(rng) - 0.5;
    y(i) = 1.0 - 0.5 * (u < 0 ? -1.0 : 1.0) * std::log(1.0 - 2.0 * std::abs(u));
  }
  auto model = make_deep_ensemble(
      R"({"members": 2, "hidden": [8], "epochs": 60, "batch_size": 100, "learning_rate": 0.01, "loss": "laplace",
          "validation_fraction": 0, "threads": 1})",
      3);
  model->fit(X, y);
  const Prediction p = model->predict(X.topRows(50));
  CHECK(p.mean.mean() == Approx(1.0).margin(0.1));
  CHECK(p.aleatoric_variance.mean() == Approx(0.5).epsilon(0.25));
}
