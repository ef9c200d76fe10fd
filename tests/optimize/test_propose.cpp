// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "fake_posterior.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/pool.hpp"
#include "matopt/optimize/propose.hpp"
#include "matopt/optimize/sampling.hpp"

using namespace matopt;
using matopt::test::FunctionPosterior;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("matopt-test-opt-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Fe-Ni-Co-Cr, at most 2 elements, 0.05 steps, Ni + Co <= 0.3. f = Ni + 0.9 Co + 0.5 Cr is largest
// at Ni0.3Cr0.7 (0.65); the runner-up grid points are Co0.3Cr0.7 (0.62) and Ni0.25Cr0.75 (0.625).
const char* kComp = R"({
  "composition": {"elements": ["Fe", "Ni", "Co", "Cr"], "max_components": 2, "granularity": 0.05},
  "linear_constraints": [{"terms": {"Ni": 1, "Co": 1}, "<=": 0.3}],
  "objectives": [{"name": "f"}]
})";

double comp_f(const Eigen::VectorXd& x) { return x[1] + 0.9 * x[2] + 0.5 * x[3]; }

ProposeOptions ucb(int q) {
  ProposeOptions o;
  o.batch.strategy = "ucb";
  o.batch.q = q;
  o.batch.ucb_beta = 0.0;  // pure exploitation: the best candidate is the model's maximum
  o.raw_samples = 256;
  return o;
}

}  // namespace

TEST_CASE("propose finds the optimum of a known continuous model", "[propose]") {
  DesignSpace s = DesignSpace::from_json_text(R"({"process": [{"name": "x", "bounds": [0, 1]}, {"name": "y", "bounds": [0, 1]}],
                                                  "objectives": [{"name": "f"}]})");
  FunctionPosterior model({[](const Eigen::VectorXd& x) { return -(x[0] - 0.3) * (x[0] - 0.3) - (x[1] - 0.7) * (x[1] - 0.7); }}, 0.01);
  Eigen::MatrixXd X(2, 2), Y(2, 1);
  X << 0, 0, 1, 1;
  Y << -0.58, -0.58;
  ProposeResult r = propose(s, model, identity_features(), X, Y, Eigen::MatrixXd(), ucb(1));
  REQUIRE(r.points.rows() == 1);
  CHECK(r.points(0, 0) == Approx(0.3).margin(0.005));
  CHECK(r.points(0, 1) == Approx(0.7).margin(0.005));
  CHECK(r.mean(0, 0) == Approx(0.0).margin(1e-4));
  CHECK(r.std(0, 0) == Approx(0.01));
  CHECK(r.candidates_scored > 256);
  // Deterministic: same inputs and seed give the same proposal.
  CHECK(propose(s, model, identity_features(), X, Y, Eigen::MatrixXd(), ucb(1)).points == r.points);
}

TEST_CASE("propose on a constrained simplex respects cardinality, granularity and linear constraints", "[propose]") {
  DesignSpace s = DesignSpace::from_json_text(kComp);
  FunctionPosterior model({comp_f}, 0.01);
  Eigen::MatrixXd X(1, 4), Y(1, 1);
  X << 1, 0, 0, 0;
  Y << 0.0;
  ProposeResult r = propose(s, model, identity_features(), X, Y, Eigen::MatrixXd(), ucb(1));
  Eigen::Vector4d best(0.0, 0.3, 0.0, 0.7);
  CHECK((r.points.row(0).transpose() - best).cwiseAbs().maxCoeff() < 1e-12);

  SECTION("measured and pending points are not proposed again") {
    Eigen::MatrixXd X2(2, 4), Y2(2, 1), pending(1, 4);
    X2 << 1, 0, 0, 0, 0.0, 0.3, 0.0, 0.7;
    Y2 << 0.0, 0.65;
    pending << 0.0, 0.25, 0.0, 0.75;
    ProposeResult r2 = propose(s, model, identity_features(), X2, Y2, pending, ucb(1));
    Eigen::Vector4d next(0.0, 0.0, 0.3, 0.7);  // Co0.3Cr0.7 = 0.62 is the best grid point left
    CHECK((r2.points.row(0).transpose() - next).cwiseAbs().maxCoeff() < 1e-12);
  }
  SECTION("a batch holds distinct feasible points") {
    ProposeResult r3 = propose(s, model, identity_features(), X, Y, Eigen::MatrixXd(), ucb(4));
    REQUIRE(r3.points.rows() == 4);
    for (int i = 0; i < 4; ++i) {
      CHECK(s.validate(r3.points.row(i).transpose()).empty());
      for (int j = 0; j < i; ++j) CHECK(r3.points.row(i) != r3.points.row(j));
    }
  }
}

TEST_CASE("pool streaming gives the same proposal for any chunk size and thread count", "[propose][pool]") {
  TempDir tmp;
  const std::string space_part = R"({
    "composition": {"elements": ["Fe", "Ni", "Co", "Cr", "Al"], "max_components": 3, "granularity": 0.01},
    "process": [{"name": "T", "bounds": [500, 1000]}, {"name": "atm", "type": "categorical", "categories": ["Ar", "air"]}],)";
  const std::string base = space_part + R"("objectives": [{"name": "a"}, {"name": "b"}])";
  DesignSpace plain = DesignSpace::from_json_text(base + "}");
  Eigen::MatrixXd pool = sample_design_points(plain, 20000, 3, {SampleMethod::Random, 200});
  write_pool_csv(plain, pool, tmp.path / "pool.csv");
  DesignSpace s = DesignSpace::from_json_text(base + R"(, "candidate_pool": "pool.csv"})", tmp.path);
  REQUIRE(s.has_pool());

  auto fa = [](const Eigen::VectorXd& x) { return x[0] + 0.3 * x[3] + 0.001 * (x[5] - 500) / 5.0; };
  auto fb = [](const Eigen::VectorXd& x) { return x[1] + x[4] - 0.2 * x[6]; };
  FunctionPosterior model({fa, fb}, 0.05);
  Eigen::MatrixXd X = pool.topRows(5), Y(5, 2);
  for (int r = 0; r < 5; ++r) Y.row(r) << fa(X.row(r).transpose()), fb(X.row(r).transpose());

  ProposeOptions o;
  o.batch.strategy = "qnehvi";
  o.batch.q = 3;
  o.batch.mc_samples = 32;
  o.batch.seed = 5;
  o.chunk_rows = 20000;
  o.threads = 1;
  ProposeResult one = propose(s, model, identity_features(), X, Y, Eigen::MatrixXd(), o);
  o.chunk_rows = 777;
  o.threads = 2;
  ProposeResult many = propose(s, model, identity_features(), X, Y, Eigen::MatrixXd(), o);
  CHECK(one.points == many.points);
  CHECK(one.pool_rows == many.pool_rows);
  CHECK(one.candidates_scored == 19995);  // the 5 measured rows are excluded
  for (int k = 0; k < 3; ++k) {
    const auto row = one.pool_rows[static_cast<std::size_t>(k)];
    REQUIRE(row >= 6);  // never one of the measured first five
    CHECK(one.points.row(k) == pool.row(static_cast<Eigen::Index>(row - 1)));
  }

  SECTION("pool sampling is deterministic and returns pool rows") {
    std::vector<std::size_t> rows_a, rows_b;
    Eigen::MatrixXd A = sample_pool_points(s, 25, 4, &rows_a), B = sample_pool_points(s, 25, 4, &rows_b);
    CHECK(A == B);
    REQUIRE(rows_a.size() == 25);
    CHECK(rows_a == rows_b);
    CHECK(std::is_sorted(rows_a.begin(), rows_a.end()));
    for (std::size_t k = 0; k < rows_a.size(); ++k) CHECK(A.row(static_cast<Eigen::Index>(k)) == pool.row(static_cast<Eigen::Index>(rows_a[k] - 1)));
    CHECK(sample_pool_points(s, 25, 5) != A);
    CHECK_THROWS_WITH(sample_design_points(s, 3, 1), Catch::Contains("sample_pool_points"));
  }
  SECTION("single objective, q = 1: the pool row with the best model mean") {
    DesignSpace s1 = DesignSpace::from_json_text(space_part + R"("objectives": [{"name": "a"}], "candidate_pool": "pool.csv"})", tmp.path);
    FunctionPosterior m1({fa}, 0.05);
    ProposeOptions u = ucb(1);
    u.chunk_rows = 1000;
    ProposeResult r = propose(s1, m1, identity_features(), Eigen::MatrixXd(0, 7), Eigen::MatrixXd(0, 1), Eigen::MatrixXd(), u);
    Eigen::Index arg = 0;
    double top = -1e300;
    for (Eigen::Index i = 0; i < pool.rows(); ++i)
      if (fa(pool.row(i).transpose()) > top) {
        top = fa(pool.row(i).transpose());
        arg = i;
      }
    CHECK(r.pool_rows[0] == static_cast<std::size_t>(arg + 1));
  }
}

TEST_CASE("pool rows outside the space are skipped; an empty pool is explained", "[pool]") {
  TempDir tmp;
  {
    std::ofstream f(tmp.path / "pool.csv");
    f << "composition,T\nFe0.5Ni0.5,600\nFe0.5Ti0.5,600\nFe0.2Ni0.8,700\nNi,2000\n";
  }
  DesignSpace s = DesignSpace::from_json_text(R"({"composition": {"elements": ["Fe", "Ni"], "bounds": {"Ni": [0, 0.6]}},
     "process": [{"name": "T", "bounds": [500, 1000]}], "objectives": [{"name": "y"}]})");
  std::vector<std::size_t> rows;
  PoolStats st = for_each_pool_chunk(s, tmp.path / "pool.csv", 2, [&](const Eigen::MatrixXd& P, const std::vector<std::size_t>& r) {
    CHECK(P.rows() == static_cast<Eigen::Index>(r.size()));
    rows.insert(rows.end(), r.begin(), r.end());
  });
  CHECK(rows == std::vector<std::size_t>{1});
  CHECK(st.rows_read == 4);
  CHECK(st.rows_rejected == 3);
  CHECK_THAT(st.first_rejection, Catch::Contains("row 3") && Catch::Contains("Fe0.5Ti0.5"));

  DesignSpace tight = DesignSpace::from_json_text(R"({"composition": {"elements": ["Fe", "Ni"], "bounds": {"Ni": [0, 0.1]}},
     "process": [{"name": "T", "bounds": [500, 1000]}], "objectives": [{"name": "y"}]})");
  CHECK_THROWS_WITH(for_each_pool_chunk(tight, tmp.path / "pool.csv", 2, [](const Eigen::MatrixXd&, const std::vector<std::size_t>&) {}),
                    Catch::Contains("empty candidate pool after filtering") && Catch::Contains("4 rows read"));
  {
    std::ofstream f(tmp.path / "bad.csv");
    f << "composition,T\nFe0.5Ni0.5,hot\n";
  }
  CHECK_THROWS_WITH(for_each_pool_chunk(s, tmp.path / "bad.csv", 2, [](const Eigen::MatrixXd&, const std::vector<std::size_t>&) {}),
                    Catch::Contains("bad.csv") && Catch::Contains("row 2") && Catch::Contains("'T'") && Catch::Contains("expected a number"));
}

TEST_CASE("HDF5 dataset pools give the same points as CSV pools", "[pool]") {
  TempDir tmp;
  DesignSpace s = DesignSpace::from_json_text(R"({"composition": {"elements": ["Fe", "Ni", "Co"], "granularity": 0.05},
     "process": [{"name": "atm", "type": "categorical", "categories": ["Ar", "air"]}], "objectives": [{"name": "y"}]})");
  Eigen::MatrixXd P = sample_design_points(s, 40, 9);
  write_dataset_h5(s.to_dataset(P), tmp.path / "pool.h5");
  Eigen::MatrixXd got(0, 4);
  std::vector<std::size_t> rows;
  for_each_pool_chunk(s, tmp.path / "pool.h5", 16, [&](const Eigen::MatrixXd& C, const std::vector<std::size_t>& r) {
    got.conservativeResize(got.rows() + C.rows(), Eigen::NoChange);
    got.bottomRows(C.rows()) = C;
    rows.insert(rows.end(), r.begin(), r.end());
  });
  REQUIRE(got.rows() == 40);
  CHECK(rows.front() == 1);
  CHECK(rows.back() == 40);
  // Formulas round-trip the fractions to ~1e-10; the categorical index is exact.
  CHECK((got - P).cwiseAbs().maxCoeff() < 1e-9);
}
