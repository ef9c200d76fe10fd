// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "matopt/acquisition/analytic.hpp"
#include "matopt/acquisition/batch.hpp"
#include "matopt/acquisition/hypervolume.hpp"
#include "matopt/core/error.hpp"
#include "toy_posterior.hpp"

using namespace matopt;
using matopt_test::toy_rows;
using matopt_test::ToyPosterior;

namespace {

const std::vector<Objective> kMax1 = {Objective{"y", 0, Goal::Maximize}};
const std::vector<Objective> kMax2 = {Objective{"a", 0, Goal::Maximize}, Objective{"b", 1, Goal::Maximize}};

BatchOptions opts(const std::string& strategy, int q) {
  BatchOptions o;
  o.strategy = strategy;
  o.q = q;
  return o;
}

}  // namespace

TEST_CASE("EI batch: kriging believer with hand-computed values", "[batch]") {
  const ToyPosterior model(1);
  // A: EI = phi(0); B: z = 2, EI = 0.1 (phi(2) + 2 Phi(2)); C: z = -0.5, EI = 2 (phi(.5) - .5 Phi(-.5)).
  const Eigen::MatrixXd cand = toy_rows({{1.0, 1.0}, {1.2, 0.1}, {0.0, 2.0}});
  const Eigen::MatrixXd obs_X = toy_rows({{1.0, 0.0}});
  const Eigen::MatrixXd obs_Y = toy_rows({{1.0}});
  const BatchResult r = select_batch(model, kMax1, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, opts("ei", 2));
  // The believed value of A is its mean 1.0, which leaves the incumbent at 1.0: C comes next.
  REQUIRE(r.indices == std::vector<Eigen::Index>{0, 2});
  CHECK(r.acquisition_values[0] == Approx(0.39894228040143268).epsilon(1e-14));
  CHECK(r.acquisition_values[1] == Approx(0.39559311480261206).epsilon(1e-14));
  const BatchResult l = select_batch(model, kMax1, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, opts("logei", 1));
  CHECK(l.acquisition_values[0] == Approx(std::log(0.39894228040143268)).epsilon(1e-14));
  // A pending point believed at 1.3 raises the incumbent: PI = Phi(-0.3), Phi(-1), Phi(-0.65).
  const BatchResult pnd = select_batch(model, kMax1, {}, obs_X, obs_Y, toy_rows({{1.3, 0.0}}), cand, opts("pi", 1));
  CHECK(pnd.indices == std::vector<Eigen::Index>{0});
  CHECK(pnd.acquisition_values[0] == Approx(normal_cdf(-0.3)).epsilon(1e-14));
  // Without the pending point B has the highest PI, Phi(2).
  const BatchResult pi = select_batch(model, kMax1, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, opts("pi", 1));
  CHECK(pi.indices == std::vector<Eigen::Index>{1});
  CHECK(pi.acquisition_values[0] == Approx(normal_cdf(2.0)).epsilon(1e-14));
}

TEST_CASE("UCB, target goals and probability of feasibility", "[batch]") {
  const ToyPosterior one(1);
  const Eigen::MatrixXd cand = toy_rows({{1.0, 1.0}, {1.2, 0.1}, {0.0, 2.0}});
  BatchOptions u = opts("ucb", 2);
  u.ucb_beta = 4.0;
  const BatchResult r = select_batch(one, kMax1, {}, Eigen::MatrixXd(), Eigen::MatrixXd(), Eigen::MatrixXd(), cand, u);
  CHECK(r.indices == std::vector<Eigen::Index>{2, 0});
  CHECK(r.acquisition_values[0] == 4.0);
  CHECK(r.acquisition_values[1] == 3.0);

  // Target 5: -|Y - 5| for Y ~ N(5, 2^2) has mean -2 sqrt(2/pi) (folded normal); UCB with beta 0 is it.
  Objective t{"t", 0, Goal::Target};
  t.target = 5.0;
  u.ucb_beta = 0.0;
  u.q = 1;
  const BatchResult tr = select_batch(one, {t}, {}, Eigen::MatrixXd(), Eigen::MatrixXd(), Eigen::MatrixXd(),
                                      toy_rows({{4.0, 0.01}, {5.0, 2.0}, {5.2, 0.01}, {7.0, 0.01}}), u);
  CHECK(tr.indices == std::vector<Eigen::Index>{2});
  const BatchResult tm = select_batch(one, {t}, {}, Eigen::MatrixXd(), Eigen::MatrixXd(), Eigen::MatrixXd(),
                                      toy_rows({{5.0, 2.0}}), u);
  CHECK(tm.acquisition_values[0] == Approx(-2.0 * std::sqrt(2.0 / 3.14159265358979323846)).epsilon(1e-14));

  // Output 1 constrained to <= 0. A: PoF 1/2, EI phi(0); B: PoF Phi(3), EI 0.8 phi(0).
  const ToyPosterior two(2);
  const Eigen::MatrixXd cand2 = toy_rows({{1.0, 0.0, 1.0, 1.0}, {1.0, -3.0, 0.8, 1.0}});
  const std::vector<OutcomeConstraint> con = {OutcomeConstraint{"c", 1, -std::numeric_limits<double>::infinity(), 0.0}};
  const Eigen::MatrixXd obs_Y = toy_rows({{1.0, -1.0}, {5.0, 2.0}});  // the 5.0 row violates the constraint
  const Eigen::MatrixXd obs_X = toy_rows({{1.0, -1.0, 0, 0}, {5.0, 2.0, 0, 0}});
  const BatchResult c = select_batch(two, kMax1, con, obs_X, obs_Y, Eigen::MatrixXd(), cand2, opts("ei", 1));
  CHECK(c.indices == std::vector<Eigen::Index>{1});
  CHECK(c.acquisition_values[0] == Approx(0.8 * 0.39894228040143268 * 0.9986501019683699).epsilon(1e-13));
  const Eigen::VectorXd pre = prescreen_scores(two, kMax1, con, obs_Y, cand2, opts("qnehvi", 1));
  CHECK(pre[0] == Approx(std::log(0.39894228040143268 * 0.5)).epsilon(1e-14));
}

TEST_CASE("analytic EHVI batch uses the believed front for later picks", "[batch]") {
  const ToyPosterior model(2);
  const Eigen::MatrixXd obs_X = toy_rows({{0, 1, 0, 0}, {1, 0, 0, 0}});
  const Eigen::MatrixXd obs_Y = toy_rows({{0, 1}, {1, 0}});
  const Eigen::MatrixXd cand = toy_rows({{0.5, 0.5, 0.1, 0.1}, {1, 1, 0.3, 0.3}, {0.9, 0.9, 0.05, 0.05}, {-0.5, -0.5, 0.01, 0.01}});
  BatchOptions o = opts("ehvi", 2);
  o.ref_point = Eigen::Vector2d(-1, -1);
  const BatchResult r = select_batch(model, kMax2, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, o);
  const Eigen::Vector2d ref(-1, -1);
  std::vector<double> first(4);
  for (int i = 0; i < 4; ++i)
    first[static_cast<std::size_t>(i)] =
        expected_hypervolume_improvement(obs_Y, ref, cand.row(i).head(2).transpose(), cand.row(i).tail(2).transpose());
  REQUIRE(r.indices[0] == 1);
  CHECK(r.acquisition_values[0] == Approx(first[1]).epsilon(1e-12));
  Eigen::MatrixXd believed(3, 2);
  believed << obs_Y, 1, 1;  // candidate 1 at its mean
  const double second2 = expected_hypervolume_improvement(believed, ref, Eigen::Vector2d(0.9, 0.9), Eigen::Vector2d(0.05, 0.05));
  const double second0 = expected_hypervolume_improvement(believed, ref, Eigen::Vector2d(0.5, 0.5), Eigen::Vector2d(0.1, 0.1));
  CHECK(r.indices[1] == (second2 > second0 ? 2 : 0));
  CHECK(r.acquisition_values[1] == Approx(std::max(second2, second0)).epsilon(1e-12));
  // Pre-screen for two objectives is log EHVI against the observed front.
  const Eigen::VectorXd pre = prescreen_scores(model, kMax2, {}, obs_Y, cand, o);
  CHECK(pre[2] == Approx(std::log(first[2])).epsilon(1e-12));
}

TEST_CASE("qNEHVI on noiseless posteriors reduces to greedy exact hypervolume improvement", "[batch]") {
  const ToyPosterior model(2);
  const Eigen::MatrixXd obs_X = toy_rows({{0, 1, 0, 0}, {1, 0, 0, 0}});
  const Eigen::MatrixXd obs_Y = toy_rows({{0, 1}, {1, 0}});
  const Eigen::MatrixXd cand = toy_rows({{2, 2, 0, 0}, {2.1, 1.9, 0, 0}, {0.5, 0.5, 0, 0}, {-2, 3, 0, 0}});
  BatchOptions o = opts("qnehvi", 3);
  o.ref_point = Eigen::Vector2d(-1, -1);
  o.mc_samples = 8;
  // Shifted by the reference point the front is {(1,2),(2,1)}, HV 3. (2,2) -> box 9, HVI 6; then
  // (2.1,1.9) adds 0.1 x 2.9 beyond (3,3); nothing else improves, so the pre-screen order decides.
  const BatchResult r = select_batch(model, kMax2, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, o);
  REQUIRE(r.indices == std::vector<Eigen::Index>{0, 1, 2});
  CHECK(r.acquisition_values[0] == Approx(6.0).epsilon(1e-13));
  CHECK(r.acquisition_values[1] == Approx(0.29).epsilon(1e-12));
  CHECK(r.acquisition_values[2] == 0.0);
  // A pending point at (2,2) is part of every sampled front.
  o.q = 1;
  const BatchResult p = select_batch(model, kMax2, {}, obs_X, obs_Y, toy_rows({{2, 2, 0, 0}}), cand, o);
  CHECK(p.indices == std::vector<Eigen::Index>{1});
  CHECK(p.acquisition_values[0] == Approx(0.29).epsilon(1e-12));
}

TEST_CASE("qNEHVI of one noisy candidate matches exact EHVI within Monte-Carlo error", "[batch]") {
  const ToyPosterior model(2);
  const Eigen::MatrixXd obs_X = toy_rows({{0.2, 0.9, 0, 0}, {0.5, 0.6, 0, 0}, {0.9, 0.1, 0, 0}});
  const Eigen::MatrixXd obs_Y = obs_X.leftCols(2);
  const Eigen::MatrixXd cand = toy_rows({{0.6, 0.7, 0.2, 0.3}});
  BatchOptions o = opts("qnehvi", 1);
  o.ref_point = Eigen::Vector2d(0, 0);
  o.mc_samples = 20000;
  o.seed = 5;
  const BatchResult r = select_batch(model, kMax2, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, o);
  const double exact = expected_hypervolume_improvement(obs_Y, Eigen::Vector2d(0, 0), Eigen::Vector2d(0.6, 0.7),
                                                        Eigen::Vector2d(0.2, 0.3));
  // Standard error from the spread of the improvement under an independent stream.
  matopt::Rng rng(99);
  double s = 0, s2 = 0;
  for (int i = 0; i < 20000; ++i) {
    const Eigen::Vector2d y(0.6 + 0.2 * standard_normal(rng), 0.7 + 0.3 * standard_normal(rng));
    const double v = hypervolume_improvement(obs_Y, y, Eigen::Vector2d(0, 0));
    s += v;
    s2 += v * v;
  }
  const double se = std::sqrt((s2 / 20000 - (s / 20000) * (s / 20000)) / 20000);
  INFO("exact " << exact << " qnehvi " << r.acquisition_values[0] << " se " << se);
  CHECK(std::abs(r.acquisition_values[0] - exact) < 4.0 * se);
}

TEST_CASE("Monte-Carlo strategies are deterministic and return distinct rows", "[batch]") {
  const ToyPosterior model(2);
  matopt::Rng rng(1);
  Eigen::MatrixXd cand(60, 4);
  for (Eigen::Index i = 0; i < cand.rows(); ++i)
    cand.row(i) << uniform01(rng), uniform01(rng), 0.05 + 0.2 * uniform01(rng), 0.05 + 0.2 * uniform01(rng);
  const Eigen::MatrixXd obs_X = toy_rows({{0.5, 0.5, 0.05, 0.05}, {0.8, 0.2, 0.05, 0.05}});
  const Eigen::MatrixXd obs_Y = toy_rows({{0.5, 0.5}, {0.8, 0.2}});
  for (const std::string s : {"qnehvi", "qparego", "ts", "random", "ehvi", "ucb"}) {
    BatchOptions o = opts(s, 5);
    o.seed = 17;
    o.shortlist = 20;
    o.mc_samples = 64;
    const BatchResult a = select_batch(model, kMax2, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, o);
    const BatchResult b = select_batch(model, kMax2, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, o);
    INFO(s);
    CHECK(a.indices == b.indices);
    CHECK(a.acquisition_values == b.acquisition_values);
    CHECK(std::set<Eigen::Index>(a.indices.begin(), a.indices.end()).size() == 5);
    for (Eigen::Index i : a.indices) CHECK((i >= 0 && i < cand.rows()));
  }
}

TEST_CASE("Thompson sampling and qParEGO on noiseless posteriors", "[batch]") {
  const ToyPosterior one(1);
  const Eigen::MatrixXd cand = toy_rows({{3, 0}, {1, 0}, {2, 0}});
  const BatchResult ts = select_batch(one, kMax1, {}, Eigen::MatrixXd(), Eigen::MatrixXd(), Eigen::MatrixXd(), cand, opts("ts", 3));
  CHECK(ts.indices == std::vector<Eigen::Index>{0, 2, 1});
  CHECK(ts.acquisition_values == Eigen::Vector3d(3, 2, 1));
  // (2,2) dominates every other candidate strictly, so it wins under any Chebyshev weights.
  const ToyPosterior two(2);
  BatchOptions o = opts("qparego", 2);
  o.ref_point = Eigen::Vector2d(-1, -1);
  const Eigen::MatrixXd c2 = toy_rows({{1.9, 1.9, 0, 0}, {2, 2, 0, 0}, {0.5, 0.5, 0, 0}});
  const BatchResult pg = select_batch(two, kMax2, {}, toy_rows({{0, 1, 0, 0}}), toy_rows({{0, 1}}), Eigen::MatrixXd(), c2, o);
  CHECK(pg.indices[0] == 1);
  CHECK(pg.acquisition_values[0] > 0.0);
}

TEST_CASE("bad batch requests are rejected with a reason", "[batch]") {
  const ToyPosterior model(2);
  const Eigen::MatrixXd cand = toy_rows({{1, 1, 0.1, 0.1}, {0, 0, 0.1, 0.1}});
  const Eigen::MatrixXd none;
  CHECK_THROWS_WITH(select_batch(model, kMax2, {}, none, none, none, cand, opts("qei", 1)),
                    Catch::Contains("unknown acquisition strategy 'qei'") && Catch::Contains("qnehvi"));
  CHECK_THROWS_AS(select_batch(model, kMax2, {}, none, none, none, cand, opts("qnehvi", 3)), InvalidArgument);
  CHECK_THROWS_AS(select_batch(model, kMax1, {}, none, none, none, cand, opts("ehvi", 1)), InvalidArgument);
  CHECK_THROWS_AS(select_batch(model, kMax2, {}, none, none, none, cand, opts("ei", 1)), InvalidArgument);
  BatchOptions o = opts("qnehvi", 1);
  o.ref_point = Eigen::Vector3d(0, 0, 0);
  CHECK_THROWS_AS(select_batch(model, kMax2, {}, none, none, none, cand, o), InvalidArgument);
  CHECK_THROWS_AS(select_batch(model, {Objective{"z", 5, Goal::Maximize}}, {}, none, none, none, cand, opts("ei", 1)),
                  InvalidArgument);
  CHECK(batch_strategies().front() == "qnehvi");
}

TEST_CASE("lazy greedy EHVI batches equal full re-scoring with the believed front", "[batch]") {
  const ToyPosterior model(2);
  matopt::Rng rng(23);
  Eigen::MatrixXd cand(40, 4);
  for (Eigen::Index i = 0; i < cand.rows(); ++i)
    cand.row(i) << uniform01(rng), uniform01(rng), 0.02 + 0.2 * uniform01(rng), 0.02 + 0.2 * uniform01(rng);
  const Eigen::MatrixXd obs_Y = toy_rows({{0.3, 0.9}, {0.6, 0.6}, {0.9, 0.2}});
  Eigen::MatrixXd obs_X(3, 4);
  obs_X << obs_Y, Eigen::MatrixXd::Zero(3, 2);
  BatchOptions o = opts("ehvi", 6);
  o.ref_point = Eigen::Vector2d(0, 0);
  const BatchResult r = select_batch(model, kMax2, {}, obs_X, obs_Y, Eigen::MatrixXd(), cand, o);
  Eigen::MatrixXd front = obs_Y;
  std::vector<char> taken(40, 0);
  for (int t = 0; t < 6; ++t) {
    Eigen::Index best = -1;
    double best_v = -1.0;
    for (Eigen::Index i = 0; i < 40; ++i) {
      if (taken[static_cast<std::size_t>(i)]) continue;
      const double v = expected_hypervolume_improvement(front, o.ref_point, cand.row(i).head(2).transpose(),
                                                        cand.row(i).tail(2).transpose());
      if (v > best_v) {
        best_v = v;
        best = i;
      }
    }
    INFO("pick " << t);
    CHECK(r.indices[static_cast<std::size_t>(t)] == best);
    CHECK(r.acquisition_values[t] == Approx(best_v).epsilon(1e-12));
    taken[static_cast<std::size_t>(best)] = 1;
    front.conservativeResize(front.rows() + 1, 2);
    front.row(front.rows() - 1) = cand.row(best).head(2);
  }
}

namespace {

// A surrogate whose prediction at row x is mean x[0] * scale, variance 1, and whose samples record the
// seed they were given, to check how IndependentPosterior routes calls.
class SeedSurrogate final : public Surrogate {
 public:
  explicit SeedSurrogate(double scale) : scale_(scale) {}
  std::string kind() const override { return "seed"; }
  void fit(const Eigen::MatrixXd&, const Eigen::VectorXd&, const Eigen::VectorXd&) override {}
  Prediction predict(const Eigen::MatrixXd& X) const override {
    Prediction p;
    p.mean = X.col(0) * scale_;
    p.variance = Eigen::VectorXd::Ones(X.rows());
    p.epistemic_variance = p.variance;
    p.aleatoric_variance = Eigen::VectorXd::Zero(X.rows());
    return p;
  }
  Eigen::MatrixXd sample_joint(const Eigen::MatrixXd& X, int n, std::uint64_t seed) const override {
    return Eigen::MatrixXd::Constant(n, X.rows(), static_cast<double>(seed % 1000));
  }
  void save(Archive&) const override {}
  void load(const Archive&) override {}
  bool is_fitted() const noexcept override { return true; }
  std::unique_ptr<Surrogate> clone() const override { return std::make_unique<SeedSurrogate>(scale_); }

 private:
  double scale_;
};

}  // namespace

TEST_CASE("IndependentPosterior routes outputs and derives one sample seed per output", "[batch]") {
  const SeedSurrogate a(1.0), b(-2.0);
  const IndependentPosterior post({&a, &b});
  CHECK(post.num_outputs() == 2);
  const Eigen::MatrixXd X = Eigen::Vector3d(1, 2, 3);
  const auto pr = post.predict(X);
  CHECK(pr[1].mean == Eigen::Vector3d(-2, -4, -6));
  const auto s = post.sample_joint(X, 2, 9);
  CHECK(s[0](1, 2) == static_cast<double>(derive_seed(9, 0) % 1000));
  CHECK(s[1](0, 0) == static_cast<double>(derive_seed(9, 1) % 1000));
  CHECK_THROWS_AS(IndependentPosterior({&a, nullptr}), InvalidArgument);
  // An empty chunk of a streamed pool gets an empty score vector.
  CHECK(prescreen_scores(post, kMax1, {}, Eigen::MatrixXd(), Eigen::MatrixXd(0, 1), BatchOptions()).size() == 0);
}
