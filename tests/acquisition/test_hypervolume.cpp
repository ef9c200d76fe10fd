// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "matopt/acquisition/hypervolume.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"

using namespace matopt;

namespace {

// Brute force 1: count unit cells of the integer grid [0, K]^m covered by some box [0, p].
double grid_count(const Eigen::MatrixXd& P, int K) {
  const auto m = static_cast<int>(P.cols());
  std::vector<int> cell(static_cast<std::size_t>(m), 0);
  double count = 0.0;
  while (true) {
    for (Eigen::Index i = 0; i < P.rows(); ++i) {
      bool in = true;
      for (int k = 0; k < m && in; ++k) in = cell[static_cast<std::size_t>(k)] + 1 <= P(i, k);
      if (in) {
        count += 1.0;
        break;
      }
    }
    int k = 0;
    while (k < m && ++cell[static_cast<std::size_t>(k)] == K) cell[static_cast<std::size_t>(k++)] = 0;
    if (k == m) break;
  }
  return count;
}

// Brute force 2: inclusion-exclusion over all non-empty subsets (intersection of boxes is the box of
// the componentwise minimum).
double inclusion_exclusion(const Eigen::MatrixXd& P, const Eigen::VectorXd& ref) {
  const auto n = static_cast<unsigned>(P.rows());
  double total = 0.0;
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    Eigen::VectorXd lo = Eigen::VectorXd::Constant(P.cols(), 1e300);
    int bits = 0;
    for (unsigned i = 0; i < n; ++i)
      if (mask & (1u << i)) {
        lo = lo.cwiseMin(P.row(i).transpose());
        ++bits;
      }
    double vol = 1.0;
    for (Eigen::Index k = 0; k < P.cols(); ++k) vol *= std::max(lo[k] - ref[k], 0.0);
    total += (bits % 2 ? 1.0 : -1.0) * vol;
  }
  return total;
}

Eigen::MatrixXd random_points(Rng& rng, Eigen::Index n, Eigen::Index m, int K) {
  Eigen::MatrixXd P(n, m);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index k = 0; k < m; ++k) P(i, k) = K > 0 ? 1.0 + static_cast<double>(uniform_index(rng, K)) : uniform01(rng);
  return P;
}

}  // namespace

TEST_CASE("hypervolume of hand-computed sets", "[hypervolume]") {
  Eigen::MatrixXd P2(4, 2);
  P2 << 1, 3, 2, 2, 3, 1, 1.5, 1.5;  // staircase 3 + 2 + 1; the last point is dominated
  CHECK(hypervolume(P2, Eigen::Vector2d(0, 0)) == 6.0);
  Eigen::MatrixXd P3(3, 3);
  P3 << 2, 1, 1, 1, 2, 1, 1, 1, 2;  // 3 boxes of 2, pairwise overlaps 1, triple overlap 1: 6 - 3 + 1
  CHECK(hypervolume(P3, Eigen::Vector3d(0, 0, 0)) == 4.0);
  Eigen::MatrixXd P4(2, 4);
  P4 << 2, 2, 2, 2, -1, 5, 5, 5;  // second point is below the reference in column 1
  CHECK(hypervolume(P4, Eigen::Vector4d(0, 0, 0, 0)) == 16.0);
  CHECK(hypervolume(Eigen::MatrixXd(0, 3), Eigen::Vector3d(0, 0, 0)) == 0.0);
  Eigen::MatrixXd bad(1, 2);
  bad << std::nan(""), 1.0;
  CHECK_THROWS_AS(hypervolume(bad, Eigen::Vector2d(0, 0)), InvalidArgument);
  CHECK_THROWS_AS(hypervolume(P2, Eigen::Vector3d(0, 0, 0)), InvalidArgument);
}

TEST_CASE("hypervolume equals grid-cell counting on random integer fronts, m = 2..5", "[hypervolume]") {
  Rng rng(42);
  for (int m = 2; m <= 5; ++m) {
    const int K = m <= 3 ? 8 : 5;
    for (int rep = 0; rep < 40; ++rep) {
      const auto n = static_cast<Eigen::Index>(1 + uniform_index(rng, 15));
      const Eigen::MatrixXd P = random_points(rng, n, m, K);
      INFO("m = " << m << ", rep = " << rep << ", n = " << n);
      REQUIRE(hypervolume(P, Eigen::VectorXd::Zero(m)) == grid_count(P, K));
    }
  }
}

TEST_CASE("hypervolume equals inclusion-exclusion on random real fronts, m = 2..5", "[hypervolume]") {
  Rng rng(7);
  for (int m = 2; m <= 5; ++m) {
    for (int rep = 0; rep < 30; ++rep) {
      const auto n = static_cast<Eigen::Index>(1 + uniform_index(rng, 10));
      const Eigen::MatrixXd P = random_points(rng, n, m, 0);
      const Eigen::VectorXd ref = Eigen::VectorXd::Constant(m, 0.1);  // some points fall below it
      INFO("m = " << m << ", rep = " << rep);
      REQUIRE(hypervolume(P, ref) == Approx(inclusion_exclusion(P, ref)).margin(1e-14));
    }
  }
}

TEST_CASE("WFG and the 3-D sweep agree through a constant fourth column", "[hypervolume]") {
  Rng rng(3);
  const Eigen::MatrixXd P3 = random_points(rng, 400, 3, 0);
  Eigen::MatrixXd P4(400, 4);
  P4 << P3, Eigen::VectorXd::Constant(400, 2.5);
  const double hv3 = hypervolume(P3, Eigen::Vector3d::Zero());
  CHECK(hypervolume(P4, Eigen::Vector4d::Zero()) == Approx(2.5 * hv3).epsilon(1e-12));
  // 3-D sweep against slicing in z with the 2-D routine: HV = sum_j (z_j - z_{j+1}) HV2(points with z >= z_j).
  std::vector<double> zs(P3.rows());
  for (Eigen::Index i = 0; i < P3.rows(); ++i) zs[static_cast<std::size_t>(i)] = P3(i, 2);
  std::sort(zs.rbegin(), zs.rend());
  double sliced = 0.0;
  for (std::size_t j = 0; j < zs.size(); ++j) {
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < P3.rows(); ++i)
      if (P3(i, 2) >= zs[j]) rows.push_back(i);
    Eigen::MatrixXd S(static_cast<Eigen::Index>(rows.size()), 2);
    for (std::size_t r = 0; r < rows.size(); ++r) S.row(static_cast<Eigen::Index>(r)) = P3.row(rows[r]).head(2);
    sliced += (zs[j] - (j + 1 < zs.size() ? zs[j + 1] : 0.0)) * hypervolume(S, Eigen::Vector2d::Zero());
  }
  CHECK(hv3 == Approx(sliced).epsilon(1e-12));
}

TEST_CASE("DTLZ2 fronts converge to the closed-form hypervolume", "[hypervolume]") {
  const double pi = 3.14159265358979323846;
  // m = 2: quarter circle f1^2 + f2^2 = 1 (minimization), ref (1, 1): HV = 1 - pi/4. With n evenly
  // spaced angles the staircase misses corners of area ~ dt^2 sin t cos t / 2 each, ~ dt / 4 in total.
  auto hv_circle = [&](int n) {
    Eigen::MatrixXd P(n, 2);
    for (int i = 0; i < n; ++i) {
      const double t = 0.5 * pi * i / (n - 1);
      P(i, 0) = -std::cos(t);
      P(i, 1) = -std::sin(t);
    }
    return hypervolume(P, Eigen::Vector2d(-1, -1));
  };
  const double exact2 = 1.0 - pi / 4.0;
  for (int n : {101, 1001, 10001}) {
    const double gap = exact2 - hv_circle(n);
    INFO("n = " << n);
    CHECK(gap > 0.0);
    CHECK(gap == Approx(0.5 * pi / (n - 1) / 4.0).epsilon(0.02));
  }
  // m = 3: sphere octant, HV = 1 - pi/6; dense angle grids approach it from below.
  auto hv_sphere = [&](int k) {
    Eigen::MatrixXd P(k * k, 3);
    for (int a = 0; a < k; ++a)
      for (int b = 0; b < k; ++b) {
        const double t = 0.5 * pi * a / (k - 1), u = 0.5 * pi * b / (k - 1);
        P(a * k + b, 0) = -std::cos(t) * std::cos(u);
        P(a * k + b, 1) = -std::cos(t) * std::sin(u);
        P(a * k + b, 2) = -std::sin(t);
      }
    return hypervolume(P, Eigen::Vector3d(-1, -1, -1));
  };
  const double exact3 = 1.0 - pi / 6.0;
  const double g40 = exact3 - hv_sphere(40), g160 = exact3 - hv_sphere(160);
  CHECK(g40 > 0.0);
  CHECK(g160 > 0.0);
  CHECK(g160 < 0.3 * g40);  // first order in the spacing: 4x finer, about 4x smaller
  CHECK(g160 < 0.01);
}

TEST_CASE("hypervolume improvement and the non-dominated box decomposition", "[hypervolume]") {
  Rng rng(11);
  for (int m = 2; m <= 3; ++m) {
    for (int rep = 0; rep < 20; ++rep) {
      const Eigen::MatrixXd F = random_points(rng, 1 + static_cast<Eigen::Index>(uniform_index(rng, 12)), m, 0);
      const Eigen::VectorXd ref = Eigen::VectorXd::Constant(m, 0.05);
      const NondominatedBoxes boxes(F, ref);
      // A far point's improvement is its box minus the front's hypervolume: the boxes tile exactly the
      // non-dominated part of the region above the reference point.
      const Eigen::VectorXd far = Eigen::VectorXd::Constant(m, 3.0);
      CHECK(boxes.improvement(far) == Approx(std::pow(2.95, m) - hypervolume(F, ref)).epsilon(1e-12));
      for (int t = 0; t < 5; ++t) {
        const Eigen::VectorXd y = random_points(rng, 1, m, 0).row(0).transpose();
        Eigen::MatrixXd Fy(F.rows() + 1, m);
        Fy << F, y.transpose();
        const double direct = hypervolume(Fy, ref) - hypervolume(F, ref);
        CHECK(hypervolume_improvement(F, y, ref) == Approx(direct).margin(1e-13));
        CHECK(boxes.improvement(y) == Approx(direct).margin(1e-13));
      }
    }
  }
  Eigen::MatrixXd F4(2, 4);
  F4 << 1, 1, 1, 1, 2, 0.5, 0.5, 0.5;
  // HV(F4) = 1 + 0.25 - 0.125 (overlap (1, .5, .5, .5)); the new point's box is 2 and covers both.
  CHECK(hypervolume_improvement(F4, Eigen::Vector4d(2, 1, 1, 1), Eigen::Vector4d::Zero()) == Approx(0.875).margin(1e-14));
  CHECK_THROWS_AS(NondominatedBoxes(F4, Eigen::Vector4d::Zero()), InvalidArgument);
}
