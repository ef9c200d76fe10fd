// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <cmath>
#include <numbers>

#include "matopt/bench/bo.hpp"
#include "matopt/bench/synthetic.hpp"
#include "matopt/core/error.hpp"

using namespace matopt;

TEST_CASE("Branin has its three known minima on the unit square", "[bo_synthetic]") {
  const double pi = std::numbers::pi;
  const double fmin = 0.397887357729738;  // 5/(4 pi) + ... evaluated at the minimizers
  // (u, v) = (-pi, 12.275), (pi, 2.275), (9.42478, 2.475) with u = 15 x1 - 5, v = 15 x2.
  CHECK(branin_unit((5.0 - pi) / 15.0, 12.275 / 15.0) == Approx(fmin).epsilon(1e-9));
  CHECK(branin_unit((5.0 + pi) / 15.0, 2.275 / 15.0) == Approx(fmin).epsilon(1e-9));
  CHECK(branin_unit((5.0 + 3.0 * pi) / 15.0, 2.475 / 15.0) == Approx(fmin).epsilon(1e-9));
  CHECK(branin_unit(0.5, 0.5) > fmin);
  // Currin at x2 -> 0 reduces to the rational part: 60 / 20 at x1 = 0.
  CHECK(currin(0.0, 0.0) == Approx(3.0));
  // x1 = 1, x2 = 0.5: (1 - e^-1) * 6352 / 624.
  CHECK(currin(1.0, 0.5) == Approx((1.0 - std::exp(-1.0)) * 6352.0 / 624.0));
}

TEST_CASE("DTLZ2 and ZDT values at known points", "[bo_synthetic]") {
  Eigen::VectorXd x = Eigen::VectorXd::Constant(6, 0.5);
  x[0] = 0.0;
  Eigen::VectorXd f = dtlz2(x, 2);
  CHECK(f[0] == Approx(1.0));
  CHECK(f[1] == Approx(0.0).margin(1e-15));
  x[0] = 0.5;  // 45 degrees on the unit circle
  f = dtlz2(x, 2);
  CHECK(f[0] == Approx(std::sqrt(0.5)));
  CHECK(f[1] == Approx(std::sqrt(0.5)));
  x[5] = 1.0;  // g = 0.25 scales the radius
  f = dtlz2(x, 2);
  CHECK(f.norm() == Approx(1.25));
  Eigen::VectorXd y = Eigen::VectorXd::Constant(6, 0.5);
  y[0] = 1.0 / 3.0;
  y[1] = 0.5;
  Eigen::VectorXd f3 = dtlz2(y, 3);
  CHECK(f3.norm() == Approx(1.0));  // x3..x6 = 0.5: on the front
  CHECK(f3[0] == Approx(std::cos(std::numbers::pi / 6) * std::cos(std::numbers::pi / 4)));
  CHECK(f3[2] == Approx(std::sin(std::numbers::pi / 6)));

  Eigen::VectorXd z = Eigen::VectorXd::Zero(6);
  z[0] = 0.25;
  CHECK(zdt(z, 1)[1] == Approx(0.5));
  CHECK(zdt(z, 2)[1] == Approx(0.9375));
  CHECK(zdt(z, 3)[1] == Approx(0.5 - 0.25 * std::sin(2.5 * std::numbers::pi)));
  z.tail(5).setConstant(1.0);  // g = 10
  CHECK(zdt(z, 1)[1] == Approx(10.0 * (1.0 - std::sqrt(0.025))));
}

TEST_CASE("true-front hypervolumes match their definitions", "[bo_synthetic]") {
  // DTLZ2 m=2: 1.1^2 - pi/4; check against the HV of many points on the quarter circle.
  SyntheticProblem p = make_synthetic_problem("dtlz2");
  Eigen::MatrixXd front(20001, 2);
  for (int i = 0; i < 20001; ++i) {
    double t = std::numbers::pi / 2 * i / 20000.0;
    front.row(i) << std::cos(t), std::sin(t);
  }
  // A staircase through points of the front is a lower bound that converges to the true value.
  const double hv_front = minimization_hypervolume(front, p.ref_point);
  CHECK(hv_front <= p.max_hypervolume);
  CHECK(hv_front == Approx(p.max_hypervolume).epsilon(1e-4));
  CHECK(p.max_hypervolume == Approx(1.21 - std::numbers::pi / 4));

  // Simplex problem: the Pareto set is the segment between the anchors; both anchors are feasible.
  SyntheticProblem s = make_synthetic_problem("simplex");
  Eigen::VectorXd a(6), b(6);
  a << 0.2, 0.3, 0.2, 0.3, 0.0, 0.0;
  b << 0.6, 0.1, 0.1, 0.2, 0.0, 0.0;
  CHECK(s.space.validate(a).empty());
  CHECK(s.space.validate(b).empty());
  CHECK(s.evaluate(a)[0] == 0.0);
  Eigen::MatrixXd seg(20001, 2);
  for (int i = 0; i < 20001; ++i) {
    Eigen::VectorXd x = a + (b - a) * (i / 20000.0);
    REQUIRE(s.space.validate(x).empty());
    seg.row(i) = s.evaluate(x).transpose();
  }
  const double hv_seg = minimization_hypervolume(seg, s.ref_point);
  CHECK(hv_seg <= s.max_hypervolume);
  CHECK(hv_seg == Approx(s.max_hypervolume).epsilon(1e-4));

  // ZDT1: 120 + 2/3.
  CHECK(make_synthetic_problem("zdt1").max_hypervolume == Approx(120.0 + 2.0 / 3.0));
  CHECK_THROWS_AS(make_synthetic_problem("dtlz7"), InvalidArgument);
}

TEST_CASE("a tiny BO benchmark run records HV per batch for every method", "[bo_synthetic][bench]") {
  BoBenchOptions o;
  o.problem = "dtlz2";
  o.budget = 18;
  o.batch = 2;
  o.repeats = 1;
  o.propose.raw_samples = 128;
  o.propose.model_options = R"({"restarts": 1, "max_iterations": 20})";
  BoBenchResult r = run_bo_benchmark(o);
  REQUIRE(r.traces.size() == 3);
  CHECK(r.traces[0].method == "qnehvi");
  CHECK(r.traces[1].method == "sobol");
  for (const auto& t : r.traces) {
    CHECK(t.evaluations == std::vector<int>{2, 4, 6, 8, 10, 12, 14, 16, 18});
    for (std::size_t i = 1; i < t.hypervolume.size(); ++i) CHECK(t.hypervolume[i] >= t.hypervolume[i - 1]);
    CHECK(t.hypervolume.back() <= r.max_hypervolume);
  }
  std::string json = bo_results_json(r);
  CHECK_THAT(json, Catch::Contains("\"log10_hv_regret\"") && Catch::Contains("\"max_hypervolume\""));
  CHECK_THAT(bo_summary_table(r), Catch::Contains("qnehvi") && Catch::Contains("% of true front"));
}
