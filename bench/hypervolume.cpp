// SPDX-License-Identifier: MIT
// Hypervolume, EHVI and batch-selection timings. Prints figures only; no pass/fail.
//   bench_hypervolume [--quick] [hv|ehvi|latency]...   (default: all sections; --quick: smaller sizes)
// Times are medians; the hypervolume rows also give process CPU time, which is less disturbed than
// wall time when other jobs share the machine.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <functional>
#include <vector>

#include "matopt/acquisition/batch.hpp"
#include "matopt/acquisition/hypervolume.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/gaussian_process.hpp"

using namespace matopt;

namespace {

double seconds(const std::function<void()>& f, int repeats, double* cpu = nullptr) {
  std::vector<double> t, c;
  for (int r = 0; r < repeats; ++r) {
    const auto a = std::chrono::steady_clock::now();
    const std::clock_t ca = std::clock();
    f();
    c.push_back(static_cast<double>(std::clock() - ca) / CLOCKS_PER_SEC);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  if (cpu) *cpu = c[c.size() / 2];
  return t[t.size() / 2];  // median
}

// Uniform points in the unit cube (most are dominated) or on the positive unit sphere (maximization
// orientation: all mutually non-dominated, the hard case).
Eigen::MatrixXd points(Eigen::Index n, int m, bool sphere, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd P(n, m);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int k = 0; k < m; ++k) P(i, k) = sphere ? std::abs(standard_normal(rng)) : uniform01(rng);
    if (sphere) P.row(i) /= P.row(i).norm();
  }
  return P;
}

void hv_row(Eigen::Index n, int m, bool sphere, int repeats) {
  const Eigen::MatrixXd P = points(n, m, sphere, 1000 + static_cast<std::uint64_t>(m));
  const Eigen::VectorXd ref = Eigen::VectorXd::Zero(m);
  double hv = 0.0, cpu = 0.0;
  const double t = seconds([&] { hv = hypervolume(P, ref); }, repeats, &cpu);
  std::printf("  m=%d  n=%8ld  %-7s  HV=%.10f  wall %9.4f s  cpu %9.4f s\n", m, static_cast<long>(n),
              sphere ? "sphere" : "uniform", hv, t, cpu);
}

// DTLZ2 with d inputs, 2 objectives (minimization), used as the GP training target.
Eigen::Vector2d dtlz2(const Eigen::VectorXd& x) {
  double g = 0.0;
  for (Eigen::Index i = 1; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
  const double t = 0.5 * 3.14159265358979323846 * x[0];
  return {(1.0 + g) * std::cos(t), (1.0 + g) * std::sin(t)};
}

void latency(Eigen::Index n_cand, int n_obs, int q, int repeats) {
  const int d = 6;
  Rng rng(2024);
  Eigen::MatrixXd X(n_obs, d), Y(n_obs, 2);
  for (int i = 0; i < n_obs; ++i) {
    for (int j = 0; j < d; ++j) X(i, j) = uniform01(rng);
    Y.row(i) = dtlz2(X.row(i).transpose()).transpose();
  }
  GaussianProcess g0, g1;
  const auto fa = std::chrono::steady_clock::now();
  g0.fit(X, Y.col(0));
  g1.fit(X, Y.col(1));
  const double fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - fa).count();
  IndependentPosterior post({&g0, &g1});
  Eigen::MatrixXd C(n_cand, d);
  for (Eigen::Index i = 0; i < n_cand; ++i)
    for (int j = 0; j < d; ++j) C(i, j) = uniform01(rng);
  const std::vector<Objective> obj = {Objective{"f1", 0, Goal::Minimize}, Objective{"f2", 1, Goal::Minimize}};
  double predict_cpu = 0.0, pre_cpu = 0.0;
  const double predict_s = seconds([&] { (void)post.predict(C); }, repeats, &predict_cpu);
  const double pre_s = seconds([&] { (void)prescreen_scores(post, obj, {}, Y, C, BatchOptions()); }, repeats, &pre_cpu);
  std::printf("  GP fits (2 outputs, %d points): %.2f s, not included below\n", n_obs, fit_s);
  std::printf("  GP marginal predict, %ld candidates x 2 outputs: wall %.3f s  cpu %.3f s\n", static_cast<long>(n_cand),
              predict_s, predict_cpu);
  std::printf("  prescreen_scores (predict + log EHVI):         wall %.3f s  cpu %.3f s\n", pre_s, pre_cpu);
  for (const char* strategy : {"qnehvi", "qparego", "ehvi"}) {
    BatchOptions o;
    o.strategy = strategy;
    o.q = q;
    BatchResult r;
    double cpu = 0.0;
    const double t = seconds([&] { r = select_batch(post, obj, {}, X, Y, Eigen::MatrixXd(), C, o); }, repeats, &cpu);
    std::printf("  select_batch %-8s q=%d (shortlist %d, %d MC samples): wall %.3f s  cpu %.3f s\n", strategy, q,
                o.shortlist, o.mc_samples, t, cpu);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, want_hv = false, want_ehvi = false, want_latency = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "hv") want_hv = true;
    else if (a == "ehvi") want_ehvi = true;
    else if (a == "latency") want_latency = true;
    else {
      std::fprintf(stderr, "usage: bench_hypervolume [--quick] [hv|ehvi|latency]...\n");
      return 1;
    }
  }
  if (!want_hv && !want_ehvi && !want_latency) want_hv = want_ehvi = want_latency = true;
  const int R = quick ? 1 : 5;
  if (want_hv) {
    std::printf("Exact hypervolume (median of %d runs)\n", R);
    hv_row(quick ? 100000 : 1000000, 2, false, R);
    hv_row(quick ? 100000 : 1000000, 2, true, R);
    hv_row(100000, 3, false, R);
    hv_row(100000, 3, true, R);
    hv_row(quick ? 200 : 1000, 4, true, R);
    hv_row(quick ? 400 : 2000, 4, true, R);
    hv_row(quick ? 1000 : 100000, 4, false, R);
    hv_row(quick ? 50 : 200, 5, true, R);
    hv_row(quick ? 100 : 400, 5, true, R);
    hv_row(quick ? 1000 : 100000, 5, false, R);
  }
  if (want_ehvi) {
    std::printf("Exact log-EHVI per candidate (front of n points on the sphere, 10^5 candidates, 1 thread)\n");
    for (int m : {2, 3}) {
      for (Eigen::Index n : {10, 50}) {
        const Eigen::MatrixXd F = points(n, m, true, 7);
        const NondominatedBoxes boxes(F, Eigen::VectorXd::Zero(m));
        const Eigen::MatrixXd M = points(100000, m, true, 8) * 1.02;
        const Eigen::VectorXd sd = Eigen::VectorXd::Constant(m, 0.05);
        double acc = 0.0, cpu = 0.0;
        const double t = seconds(
            [&] {
              Eigen::VectorXd mean(m);
              for (Eigen::Index i = 0; i < M.rows(); ++i) {
                mean = M.row(i).transpose();
                acc += boxes.log_expected_improvement(mean, sd);
              }
            },
            quick ? 1 : 3, &cpu);
        std::printf("  m=%d  front n=%3ld  %5ld boxes  wall %.3f us  cpu %.3f us per candidate (checksum %.6g)\n", m,
                    static_cast<long>(n), static_cast<long>(boxes.num_boxes()), 1e6 * t / static_cast<double>(M.rows()),
                    1e6 * cpu / static_cast<double>(M.rows()), acc);
      }
    }
  }
  if (want_latency) {
    std::printf("select_batch latency, 2 objectives (DTLZ2, d=6), exact GP surrogates (median of %d runs)\n",
                quick ? 1 : 3);
    latency(quick ? 10000 : 100000, 100, 8, quick ? 1 : 3);
  }
  return 0;
}
