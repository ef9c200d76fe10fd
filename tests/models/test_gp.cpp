// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "models/model_fixtures.hpp"
#include "matopt/models/gaussian_process.hpp"

using namespace matopt;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using matopt::test::noisy_sine;

namespace {

GPOptions fixed_options(KernelType k, double l, double s2, double sn2) {
  GPOptions o;
  o.kernel = k;
  o.optimize = false;
  o.length_scales = {l};
  o.signal_variance = s2;
  o.noise_variance = sn2;
  o.threads = 1;
  return o;
}

// 1-D data whose standardization is the identity map onto {-1, +1} and y onto {+1, -1}.
MatrixXd two_x() { return (MatrixXd(2, 1) << 0.0, 1.0).finished(); }
VectorXd two_y() { return (VectorXd(2) << 3.0, 1.0).finished(); }  // mean 2, std 1

}  // namespace

TEST_CASE("GP posterior with fixed hyperparameters matches the 2-point closed form", "[gp]") {
  // Standardized inputs z = {-1, 1}; RBF with l = 2: k12 = exp(-(2/2)^2/2) = e^{-1/2}.
  const double a = 1.0 + 0.01, e = std::exp(-0.5);
  GaussianProcess gp(fixed_options(KernelType::RBF, 2.0, 1.0, 0.01));
  gp.fit(two_x(), two_y());
  // Query x = 0 (z = -1): k* = [1, e]; t = [1, -1]; α = t / (a - e).
  const Prediction p = gp.predict((MatrixXd(1, 1) << 0.0).finished());
  const double mean_std = (1.0 - e) / (a - e);
  const double quad = (a * (1.0 + e * e) - 2.0 * e * e) / (a * a - e * e);
  CHECK(p.mean[0] == Approx(2.0 + mean_std).epsilon(1e-12));
  CHECK(p.epistemic_variance[0] == Approx(1.0 - quad).epsilon(1e-9));
  CHECK(p.aleatoric_variance[0] == Approx(0.01).epsilon(1e-12));
  CHECK(p.variance[0] == Approx(1.0 - quad + 0.01).epsilon(1e-9));

  // Midpoint x = 0.5 (z = 0): symmetric, so the mean is the data mean.
  const double ks = std::exp(-0.125);
  const Prediction q = gp.predict((MatrixXd(1, 1) << 0.5).finished());
  CHECK(q.mean[0] == Approx(2.0).margin(1e-12));
  CHECK(q.epistemic_variance[0] == Approx(1.0 - 2.0 * ks * ks / (a + e)).epsilon(1e-9));
}

TEST_CASE("GP Matern 5/2 and known per-point noise match the closed form", "[gp]") {
  // l = 1 on z = {-1, 1}: r = 2, k12 = (1 + 2√5 + 20/3) e^{-2√5}; s2 = 2.
  const double r = 2.0, s2 = 2.0;
  const double k12 = s2 * (1 + std::sqrt(5.0) * r + 5.0 * r * r / 3.0) * std::exp(-std::sqrt(5.0) * r);
  GaussianProcess gp(fixed_options(KernelType::Matern52, 1.0, s2, 0.1));
  const VectorXd known = (VectorXd(2) << 0.3, 0.0).finished();  // y std is 1, so standardized = original
  gp.fit(two_x(), two_y(), known);
  const double a1 = s2 + 0.1 + 0.3, a2 = s2 + 0.1, det = a1 * a2 - k12 * k12;
  // α = K⁻¹ t with t = [1, -1]
  const double al1 = (a2 * 1.0 - k12 * -1.0) / det, al2 = (-k12 * 1.0 + a1 * -1.0) / det;
  const Prediction p = gp.predict((MatrixXd(1, 1) << 0.0).finished());  // z = -1: k* = [s2, k12]
  CHECK(p.mean[0] == Approx(2.0 + s2 * al1 + k12 * al2).epsilon(1e-12));
  const double quad = (s2 * s2 * a2 - 2 * s2 * k12 * k12 + k12 * k12 * a1) / det;
  CHECK(p.epistemic_variance[0] == Approx(s2 - quad).epsilon(1e-9));
  // Aleatoric = learned noise + mean known noise.
  CHECK(p.aleatoric_variance[0] == Approx(0.1 + 0.15).epsilon(1e-12));
  CHECK(gp.log_marginal_likelihood() ==
        Approx(-0.5 * (1.0 * al1 - 1.0 * al2) - 0.5 * std::log(det) - std::log(2 * M_PI)).epsilon(1e-10));
}

TEST_CASE("GP log marginal likelihood gradient matches central finite differences", "[gp]") {
  Rng rng(7);
  const int n = 14, d = 3;
  MatrixXd Z(n, d);
  VectorXd t(n), known(n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < d; ++k) Z(i, k) = standard_normal(rng);
    t[i] = standard_normal(rng);
    known[i] = 0.05 * uniform01(rng);
  }
  Z.row(3) = Z.row(2);  // a duplicate row (r = 0 off the diagonal) must not break Matérn 1/2
  VectorXd theta(d + 2);
  theta << std::log(0.8), std::log(1.7), std::log(0.5), std::log(1.3), std::log(0.2);
  for (auto kern : {KernelType::RBF, KernelType::Matern12, KernelType::Matern32, KernelType::Matern52}) {
    for (bool with_known : {false, true}) {
      CAPTURE(to_string(kern), with_known);
      const VectorXd kn = with_known ? known : VectorXd();
      VectorXd g;
      GaussianProcess::lml_and_gradient(kern, Z, t, kn, theta, &g);
      REQUIRE(g.size() == d + 2);
      for (int j = 0; j < d + 2; ++j) {
        const double h = 1e-5;
        VectorXd tp = theta, tm = theta;
        tp[j] += h;
        tm[j] -= h;
        const double fd = (GaussianProcess::lml_and_gradient(kern, Z, t, kn, tp, nullptr) -
                           GaussianProcess::lml_and_gradient(kern, Z, t, kn, tm, nullptr)) /
                          (2 * h);
        CAPTURE(j);
        CHECK(g[j] == Approx(fd).epsilon(1e-5).margin(1e-7));
      }
    }
  }
}

TEST_CASE("GP hyperparameter fit recovers the noise level and interpolates", "[gp]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(80, 1, X, y, 0.1);
  noisy_sine(200, 2, Xt, yt, 0.0);
  GPOptions o;
  o.threads = 1;
  GaussianProcess gp(o, 3);
  gp.fit(X, y);
  const Prediction p = gp.predict(Xt);
  const double rmse = std::sqrt((p.mean - yt).squaredNorm() / yt.size());
  CHECK(rmse < 0.1);
  // Fitted noise in original units close to 0.1^2.
  const double noise = p.aleatoric_variance[0];
  CHECK(noise > 0.004);
  CHECK(noise < 0.025);
  // The irrelevant-ish second input has a longer length scale than the sine input.
  CHECK(gp.length_scales()[0] < gp.length_scales()[1]);
}

TEST_CASE("GP is bit-identical for the same seed, whatever the thread count", "[gp]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(60, 4, X, y, 0.2);
  noisy_sine(300, 5, Xt, yt, 0.0);
  GPOptions o1;
  o1.threads = 1;
  o1.optimize_subset = 40;  // exercises the seeded optimization subset
  GPOptions o2 = o1;
  o2.threads = 2;
  GaussianProcess a(o1, 11), b(o2, 11);
  a.fit(X, y);
  b.fit(X, y);
  const Prediction pa = a.predict(Xt), pb = b.predict(Xt);
  CHECK((pa.mean.array() == pb.mean.array()).all());
  CHECK((pa.variance.array() == pb.variance.array()).all());
  const MatrixXd sa = a.sample_joint(Xt.topRows(5), 3, 9), sb = b.sample_joint(Xt.topRows(5), 3, 9);
  CHECK((sa.array() == sb.array()).all());
}

TEST_CASE("GP save/load round trip gives identical predictions", "[gp]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(50, 6, X, y, 0.1);
  noisy_sine(20, 7, Xt, yt, 0.0);
  X.col(1).setConstant(3.0);  // a constant column is dropped and must survive the round trip
  Xt.col(1).setConstant(3.0);
  GaussianProcess gp(GPOptions{}, 5);
  gp.fit(X, y, VectorXd::Constant(50, 0.001));
  Archive ar;
  gp.save(ar.child("surrogate"));
  const auto path = std::filesystem::temp_directory_path() / "matopt_test_gp_roundtrip.h5";
  save_archive(ar, path, "matopt-test", 1);
  const Archive back = load_archive(path, "matopt-test", 1);
  std::filesystem::remove(path);
  const auto loaded = load_surrogate(back.child("surrogate"));
  REQUIRE(loaded->kind() == "gp");
  const Prediction p1 = gp.predict(Xt), p2 = loaded->predict(Xt);
  CHECK((p1.mean.array() == p2.mean.array()).all());
  CHECK((p1.epistemic_variance.array() == p2.epistemic_variance.array()).all());
  CHECK((p1.aleatoric_variance.array() == p2.aleatoric_variance.array()).all());
  CHECK(std::isinf(gp.length_scales()[1]));
}

TEST_CASE("GP joint samples have the posterior mean and covariance", "[gp]") {
  GaussianProcess gp(fixed_options(KernelType::RBF, 2.0, 1.0, 0.01));
  gp.fit(two_x(), two_y());
  const MatrixXd Xq = (MatrixXd(3, 1) << 0.0, 0.5, 2.0).finished();
  const Prediction p = gp.predict(Xq);
  const int ns = 20000;
  const MatrixXd S = gp.sample_joint(Xq, ns, 123);
  REQUIRE(S.rows() == ns);
  REQUIRE(S.cols() == 3);
  const Eigen::RowVectorXd m = S.colwise().mean();
  for (int j = 0; j < 3; ++j) {
    const double var = (S.col(j).array() - m[j]).square().sum() / (ns - 1);
    CHECK(m[j] == Approx(p.mean[j]).margin(4 * std::sqrt(p.epistemic_variance[j] / ns) + 1e-6));
    CHECK(var == Approx(p.epistemic_variance[j]).epsilon(0.05).margin(1e-6));
  }
  CHECK((gp.sample_joint(Xq, 4, 1).array() == gp.sample_joint(Xq, 4, 1).array()).all());
  CHECK((gp.sample_joint(Xq, 4, 1).array() != gp.sample_joint(Xq, 4, 2).array()).any());
}

TEST_CASE("GP bad input: clear errors or sensible finite predictions", "[gp]") {
  MatrixXd X, Xt;
  VectorXd y, yt;
  noisy_sine(20, 8, X, y, 0.1);
  noisy_sine(10, 9, Xt, yt, 0.0);
  GPOptions o;
  o.threads = 1;

  SECTION("NaN / Inf in X or y, size mismatch, zero rows") {
    GaussianProcess gp(o);
    MatrixXd Xb = X;
    Xb(4, 1) = std::nan("");
    CHECK_THROWS_AS(gp.fit(Xb, y), DataError);
    CHECK_THROWS_WITH(gp.fit(Xb, y), Catch::Contains("row 5") && Catch::Contains("column 2"));
    VectorXd yb = y;
    yb[2] = INFINITY;
    CHECK_THROWS_AS(gp.fit(X, yb), DataError);
    CHECK_THROWS_AS(gp.fit(X, y.head(5)), DataError);
    CHECK_THROWS_AS(gp.fit(MatrixXd(0, 2), VectorXd(0)), DataError);
    CHECK_THROWS_AS(gp.predict(Xt), InvalidArgument);  // not fitted
    gp.fit(X, y);
    MatrixXd Xtb = Xt;
    Xtb(0, 0) = -INFINITY;
    CHECK_THROWS_AS(gp.predict(Xtb), DataError);
    CHECK_THROWS_AS(gp.predict(MatrixXd(2, 3)), DataError);
  }
  SECTION("one row predicts its value everywhere with finite variance") {
    GaussianProcess gp(o);
    gp.fit(X.topRows(1), y.head(1));
    const Prediction p = gp.predict(Xt);
    CHECK((p.mean.array() == y[0]).all());
    CHECK(p.variance.allFinite());
    CHECK((p.variance.array() > 0).all());
  }
  SECTION("constant targets predict the constant") {
    GaussianProcess gp(o);
    gp.fit(X, VectorXd::Constant(20, 4.5));
    const Prediction p = gp.predict(Xt);
    CHECK(p.mean.isApproxToConstant(4.5, 1e-12));
    CHECK(p.variance.allFinite());
  }
  SECTION("duplicate rows and more features than rows") {
    MatrixXd Xd(6, 40);
    Rng rng(3);
    for (int i = 0; i < 6; ++i)
      for (int k = 0; k < 40; ++k) Xd(i, k) = uniform01(rng);
    Xd.row(5) = Xd.row(4);
    VectorXd yd = Xd.col(0) * 2.0;
    yd[5] = yd[4] + 0.1;
    GaussianProcess gp(o);
    gp.fit(Xd, yd);
    const Prediction p = gp.predict(Xd);
    CHECK(p.mean.allFinite());
    CHECK(p.variance.allFinite());
    CHECK((gp.sample_joint(Xd, 2, 1).array().isFinite()).all());
  }
  SECTION("above the exact limit: refuse or subset, as configured") {
    GPOptions e = o;
    e.max_exact = 10;
    e.large_n = "error";
    GaussianProcess gp(e);
    CHECK_THROWS_AS(gp.fit(X, y), InvalidArgument);
    CHECK_THROWS_WITH(gp.fit(X, y), Catch::Contains("ensemble"));
    e.large_n = "subset";
    GaussianProcess gs(e);
    gs.fit(X, y);
    CHECK(gs.predict(Xt).mean.allFinite());
  }
}

TEST_CASE("GP options from JSON and the registry", "[gp]") {
  const GPOptions o = GPOptions::from_json(R"({"kernel":"rbf","restarts":2,"length_scales":0.5})");
  CHECK(o.kernel == KernelType::RBF);
  CHECK(o.restarts == 2);
  CHECK(o.length_scales == std::vector<double>{0.5});
  CHECK(GPOptions::from_json(o.to_json()).kernel == KernelType::RBF);
  CHECK_THROWS_WITH(GPOptions::from_json(R"({"kernal":"rbf"})"), Catch::Contains("valid:"));
  CHECK_THROWS_AS(kernel_from_string("linear"), InvalidArgument);
  CHECK(make_surrogate("gp", "", 1)->kind() == "gp");
  CHECK_THROWS_AS(make_surrogate("svm"), InvalidArgument);
  CHECK_THROWS_WITH(make_surrogate("svm"),
                    Catch::Contains("gp") && Catch::Contains("ensemble") && Catch::Contains("forest"));
}

TEST_CASE("GP length-scale prior keeps weakly visible inputs in the model", "[gp]") {
  // 12 points in 4-D; y depends strongly on x1 and only weakly (quadratically) on x2..x4, too weakly
  // for 12 points to show. Maximum likelihood sends at least one of those length scales to its upper
  // bound (the input is dropped); the log-normal prior keeps every one finite.
  Rng rng(7);
  const int n = 12, d = 4;
  MatrixXd X(n, d);
  VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < d; ++k) X(i, k) = uniform01(rng);
    y[i] = std::sin(3.0 * X(i, 0));
    for (int k = 1; k < d; ++k) y[i] += 0.05 * (X(i, k) - 0.5) * (X(i, k) - 0.5);
  }
  GPOptions plain;
  plain.threads = 1;
  plain.restarts = 4;
  GaussianProcess ml(plain, 3);
  ml.fit(X, y);
  CHECK(ml.length_scales().tail(d - 1).maxCoeff() > 0.9 * plain.max_length_scale);

  GPOptions with_prior = GPOptions::from_json(R"({"restarts": 4, "threads": 1, "length_scale_prior": ["lognormal", 2.0, 0.75]})");
  GaussianProcess map(with_prior, 3);
  map.fit(X, y);
  CHECK(map.length_scales().maxCoeff() < 100.0);
  CHECK(map.length_scales()[0] < map.length_scales().tail(d - 1).minCoeff());

  // A very tight prior pins the length scales at its centre, exp(mu + ½ log d) (the prior is a
  // density over log l), which checks the prior's value and gradient together.
  GPOptions tight = GPOptions::from_json(R"({"restarts": 1, "threads": 1, "length_scale_prior": ["lognormal", 0.5, 0.01]})");
  GaussianProcess pinned(tight, 3);
  pinned.fit(X, y);
  const double mode = std::exp(0.5 + 0.5 * std::log(static_cast<double>(d)));
  for (int k = 0; k < d; ++k) CHECK(pinned.length_scales()[k] == Approx(mode).epsilon(0.01));

  // Gamma(a, b) on l has its mode, as a density over log l, at a / b.
  GaussianProcess gamma(GPOptions::from_json(R"({"restarts": 1, "threads": 1, "length_scale_prior": ["gamma", 4000, 1000]})"), 3);
  gamma.fit(X, y);
  for (int k = 0; k < d; ++k) CHECK(gamma.length_scales()[k] == Approx(4.0).epsilon(0.01));

  // Options: JSON round trip and errors.
  CHECK(GPOptions::from_json(with_prior.to_json()).length_scale_prior == "lognormal");
  CHECK(GPOptions::from_json(with_prior.to_json()).length_scale_prior_b == 0.75);
  CHECK(GPOptions::from_json(plain.to_json()).length_scale_prior == "none");
  CHECK(plain.to_json().find("length_scale_prior") == std::string::npos);
  CHECK_THROWS_WITH(GPOptions::from_json(R"({"length_scale_prior": ["cauchy", 1, 1]})"), Catch::Contains("gamma"));
  CHECK_THROWS_AS(GPOptions::from_json(R"({"length_scale_prior": ["gamma", 3, 0]})"), InvalidArgument);
  CHECK_THROWS_AS(GPOptions::from_json(R"({"length_scale_prior": ["lognormal", 1]})"), InvalidArgument);
}

TEST_CASE("GP noise_prior accepts gamma and lognormal priors and round-trips through JSON", "[gp]") {
  const GPOptions d = GPOptions::from_json("");
  CHECK(d.noise_prior);
  CHECK(d.noise_prior_kind == "gamma");
  CHECK(d.to_json().find("\"noise_prior\":true") != std::string::npos);  // readable by older versions
  const GPOptions ln = GPOptions::from_json(R"({"noise_prior": ["lognormal", -4, 1]})");
  CHECK(ln.noise_prior);
  CHECK(ln.noise_prior_kind == "lognormal");
  CHECK(ln.noise_prior_a == -4.0);
  const GPOptions back = GPOptions::from_json(ln.to_json());
  CHECK(back.noise_prior_kind == "lognormal");
  CHECK(back.noise_prior_b == 1.0);
  CHECK_FALSE(GPOptions::from_json(R"({"noise_prior": "none"})").noise_prior);
  CHECK_FALSE(GPOptions::from_json(GPOptions::from_json(R"({"noise_prior": false})").to_json()).noise_prior);
  CHECK_THROWS_AS(GPOptions::from_json(R"({"noise_prior": ["cauchy", 1, 1]})"), InvalidArgument);
  CHECK_THROWS_AS(GPOptions::from_json(R"({"noise_prior": ["lognormal", -4, 0]})"), InvalidArgument);

  // Three rows: the gamma prior (which pushes the noise up) explains them as noise; the lognormal
  // prior centred on small noise keeps a signal.
  const MatrixXd X = (MatrixXd(3, 1) << 0.0, 1.0, 2.0).finished();
  const VectorXd y = (VectorXd(3) << 0.0, 1.0, 0.2).finished();
  GPOptions o;
  o.threads = 1;
  o.restarts = 1;
  GaussianProcess gamma(o, 3);
  gamma.fit(X, y);
  o.noise_prior_kind = "lognormal";
  o.noise_prior_a = -4.0;
  o.noise_prior_b = 1.0;
  GaussianProcess lognormal(o, 3);
  lognormal.fit(X, y);
  CHECK(lognormal.noise_variance() < 0.1);
  CHECK(lognormal.noise_variance() < gamma.noise_variance());
  CHECK(lognormal.signal_variance() > lognormal.noise_variance());
}

TEST_CASE("GP input reference: inputs scaled by the reference rows, columns constant in training kept", "[gp]") {
  // Two training rows that share x2: scaled by themselves, x2 is dropped; with a reference pool that
  // varies x2, it stays active and the model is unsure away from the measured x2.
  const MatrixXd X = (MatrixXd(2, 2) << 0.0, 5.0, 1.0, 5.0).finished();
  const VectorXd y = (VectorXd(2) << 1.0, 2.0).finished();
  MatrixXd pool(9, 2);
  for (int i = 0; i < 9; ++i) pool.row(i) << (i % 3) * 0.5, 4.0 + (i / 3);
  GaussianProcess plain(fixed_options(KernelType::Matern52, 1.0, 1.0, 1e-4));
  plain.fit(X, y);
  CHECK(std::isinf(plain.length_scales()[1]));
  GaussianProcess ref(fixed_options(KernelType::Matern52, 1.0, 1.0, 1e-4));
  ref.set_input_reference(pool);
  ref.fit(X, y);
  CHECK(std::isfinite(ref.length_scales()[1]));
  const MatrixXd q = (MatrixXd(2, 2) << 0.0, 5.0, 0.0, 6.0).finished();
  const Prediction p = ref.predict(q);
  CHECK(p.epistemic_variance[1] > p.epistemic_variance[0] + 0.1);
  const Prediction pp = plain.predict(q);
  CHECK(pp.mean[0] == Approx(pp.mean[1]));  // x2 ignored
  // Copies keep the reference; an empty matrix restores training-row scaling.
  GaussianProcess copy(ref);
  copy.fit(X, y);
  CHECK(std::isfinite(copy.length_scales()[1]));
  ref.set_input_reference(MatrixXd());
  ref.fit(X, y);
  CHECK(std::isinf(ref.length_scales()[1]));
  GaussianProcess wrong;
  wrong.set_input_reference(MatrixXd::Zero(3, 3));
  CHECK_THROWS_AS(wrong.fit(X, y), DataError);
}

TEST_CASE("campaign GP options add the few-point priors unless set", "[gp]") {
  const GPOptions d = GPOptions::from_json(gp_options_with_few_point_priors(""));
  CHECK(d.noise_prior);
  CHECK(d.noise_prior_kind == "lognormal");
  CHECK(d.noise_prior_a == -4.0);
  CHECK(d.noise_prior_b == 1.0);
  CHECK(d.length_scale_prior == "gamma");
  CHECK(d.length_scale_prior_a == 3.0);
  CHECK(d.length_scale_prior_b == 1.73);
  // the caller's settings win, other keys pass through
  const GPOptions u = GPOptions::from_json(
      gp_options_with_few_point_priors(R"({"restarts": 5, "noise_prior": true, "length_scale_prior": "none"})"));
  CHECK(u.restarts == 5);
  CHECK(u.noise_prior_kind == "gamma");
  CHECK(u.length_scale_prior == "none");
  CHECK_THROWS_AS(gp_options_with_few_point_priors("[1, 2]"), InvalidArgument);
  CHECK_THROWS_AS(gp_options_with_few_point_priors("{oops"), InvalidArgument);
}
