// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cmath>

#include "matopt/acquisition/analytic.hpp"
#include "matopt/acquisition/hypervolume.hpp"
#include "matopt/core/rng.hpp"

using namespace matopt;

namespace {

// Monte-Carlo EHVI with its standard error, for checking the exact formula.
void mc_ehvi(const Eigen::MatrixXd& F, const Eigen::VectorXd& ref, const Eigen::VectorXd& mean,
             const Eigen::VectorXd& sd, int n, std::uint64_t seed, double& estimate, double& std_error) {
  Rng rng(seed);
  double s = 0.0, s2 = 0.0;
  Eigen::VectorXd y(mean.size());
  for (int i = 0; i < n; ++i) {
    for (Eigen::Index k = 0; k < mean.size(); ++k) y[k] = mean[k] + sd[k] * standard_normal(rng);
    const double v = hypervolume_improvement(F, y, ref);
    s += v;
    s2 += v * v;
  }
  estimate = s / n;
  std_error = std::sqrt(std::max(s2 / n - estimate * estimate, 0.0) / n);
}

}  // namespace

TEST_CASE("exact 2-D EHVI agrees with Monte Carlo within its standard error", "[ehvi]") {
  Eigen::MatrixXd F(3, 2);
  F << 0.2, 0.9, 0.5, 0.6, 0.9, 0.1;
  const Eigen::Vector2d ref(0, 0);
  const struct {
    Eigen::Vector2d mean, sd;
  } cases[] = {{{0.6, 0.7}, {0.2, 0.3}}, {{0.3, 0.3}, {0.1, 0.1}}, {{1.0, 1.0}, {0.5, 0.05}}, {{-0.2, 0.5}, {0.4, 0.2}}};
  std::uint64_t seed = 1;
  for (const auto& c : cases) {
    double est, se;
    mc_ehvi(F, ref, c.mean, c.sd, 40000, seed++, est, se);
    const double exact = expected_hypervolume_improvement(F, ref, c.mean, c.sd);
    INFO("mean " << c.mean.transpose() << " exact " << exact << " mc " << est << " +- " << se);
    CHECK(std::abs(exact - est) < 4.0 * se + 1e-12);
    CHECK(exact > 0.0);
  }
}

TEST_CASE("exact 3-D EHVI agrees with Monte Carlo within its standard error", "[ehvi]") {
  Eigen::MatrixXd F(4, 3);
  F << 0.8, 0.2, 0.3, 0.3, 0.8, 0.2, 0.2, 0.3, 0.8, 0.5, 0.5, 0.5;
  const Eigen::Vector3d ref(0, 0, 0);
  const struct {
    Eigen::Vector3d mean, sd;
  } cases[] = {{{0.6, 0.6, 0.6}, {0.2, 0.2, 0.2}}, {{0.9, 0.1, 0.4}, {0.05, 0.3, 0.1}}, {{0.3, 0.3, 0.3}, {0.3, 0.1, 0.2}}};
  std::uint64_t seed = 100;
  for (const auto& c : cases) {
    double est, se;
    mc_ehvi(F, ref, c.mean, c.sd, 30000, seed++, est, se);
    const double exact = expected_hypervolume_improvement(F, ref, c.mean, c.sd);
    INFO("mean " << c.mean.transpose() << " exact " << exact << " mc " << est << " +- " << se);
    CHECK(std::abs(exact - est) < 4.0 * se + 1e-12);
  }
}

TEST_CASE("EHVI limits: empty front, vanishing sd and far below the front", "[ehvi]") {
  // Empty front: EHVI = prod_k E[(Y_k - r_k)^+] = prod_k sd_k h((mean_k - r_k) / sd_k).
  const Eigen::Vector2d ref(0, 0), mean(0.5, -0.3), sd(0.5, 0.3);
  const double expect = 0.5 * std::exp(log_h(1.0)) * 0.3 * std::exp(log_h(-1.0));
  CHECK(expected_hypervolume_improvement(Eigen::MatrixXd(0, 2), ref, mean, sd) == Approx(expect).epsilon(1e-13));
  // sd -> 0: EHVI -> HVI of the mean.
  Eigen::MatrixXd F(2, 3);
  F << 1, 2, 1, 2, 1, 1;
  const Eigen::Vector3d r3(0, 0, 0), m3(1.5, 1.5, 2.0);
  CHECK(expected_hypervolume_improvement(F, r3, m3, Eigen::Vector3d::Constant(1e-9)) ==
        Approx(hypervolume_improvement(F, m3, r3)).epsilon(1e-8));
  CHECK(expected_hypervolume_improvement(F, r3, m3, Eigen::Vector3d::Zero()) ==
        Approx(hypervolume_improvement(F, m3, r3)).epsilon(1e-13));
  // 40 sd below the reference point in one objective, EHVI underflows but log EHVI is exact:
  // log(sd h(z)) summed over the objectives of the single box of an empty front.
  const NondominatedBoxes empty(Eigen::MatrixXd(0, 2), ref);
  const Eigen::Vector2d far_mean(-20.0, 0.0), far_sd(0.5, 1.0);
  CHECK(empty.expected_improvement(far_mean, far_sd) == 0.0);
  CHECK(empty.log_expected_improvement(far_mean, far_sd) ==
        Approx(std::log(0.5) - 808.29856835661996024 + std::log(std::exp(log_h(0.0)))).epsilon(1e-13));
}
