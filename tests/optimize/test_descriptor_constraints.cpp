// SPDX-License-Identifier: MIT
// Descriptor constraints (VEC, delta, omega, ...) of a design space: parsing, validation, refusal of
// infeasible rules, and enforcement by the sampler, pool filtering and propose.
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "fake_posterior.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/featurize/alloy.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/pool.hpp"
#include "matopt/optimize/propose.hpp"
#include "matopt/optimize/sampling.hpp"

using namespace matopt;

namespace {

// Co-Cr-Fe-Ni-Mn-Al-Ti with the fcc solid-solution rules of thumb.
std::string hea_space(const std::string& rules, const std::string& extra = "") {
  return R"({
  "composition": {"elements": ["Co", "Cr", "Fe", "Ni", "Mn", "Al", "Ti"],
                  "bounds": {"Co": [0, 0.35], "Cr": [0, 0.35], "Fe": [0, 0.35], "Ni": [0, 0.35],
                             "Mn": [0, 0.35], "Al": [0, 0.2], "Ti": [0, 0.1]},
                  "granularity": 0.05)" + extra + R"(},
  "descriptor_constraints": [)" + rules + R"(],
  "objectives": [{"name": "hardness"}]
})";
}

const char* kRules = R"({"descriptor": "VEC", "min": 8.0}, {"descriptor": "delta", "max": 0.04})";

Eigen::VectorXd point(std::initializer_list<double> x) {
  Eigen::VectorXd p(static_cast<Eigen::Index>(x.size()));
  Eigen::Index i = 0;
  for (double v : x) p[i++] = v;
  return p;
}

// Independent of DesignSpace: the alloy descriptors of a Co,Cr,Fe,Ni,Mn,Al,Ti point.
double descriptor(const Eigen::VectorXd& p, const char* name) {
  const std::uint8_t all[] = {27, 24, 26, 28, 25, 13, 22};
  std::vector<std::uint8_t> z;
  std::vector<double> x;
  for (int i = 0; i < 7; ++i)
    if (p[i] > 0) {
      z.push_back(all[i]);
      x.push_back(p[i]);
    }
  double out[11];
  alloy_descriptors(z, x, out);
  return out[alloy_descriptor_index(name)];
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("matopt-test-desc-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("descriptor constraints are parsed, written back and shown as text", "[descriptor_constraints]") {
  DesignSpace s = DesignSpace::from_json_text(hea_space(kRules));
  REQUIRE(s.spec().descriptor_constraints.size() == 2);
  CHECK(s.spec().descriptor_constraints[0].text() == "VEC >= 8");
  CHECK(s.spec().descriptor_constraints[1].text() == "delta <= 0.04");
  DescriptorConstraint both{"omega", 1.1, 5};
  CHECK(both.text() == "1.1 <= omega <= 5");
  DesignSpace t = DesignSpace::from_json_text(s.to_json_text());
  CHECK(t.to_json_text() == s.to_json_text());
  CHECK(t.spec().descriptor_constraints[1].max == 0.04);
  CHECK(std::isinf(t.spec().descriptor_constraints[1].min));
}

TEST_CASE("the validator reports each violated descriptor rule", "[descriptor_constraints]") {
  DesignSpace s = DesignSpace::from_json_text(hea_space(kRules));
  // Equimolar CoCrFeNi: VEC = (9 + 6 + 8 + 10) / 4 = 8.25, delta = 0.0163 -> feasible.
  const auto cocrfeni = point({0.25, 0.25, 0.25, 0.25, 0, 0, 0});
  CHECK(s.validate(cocrfeni).empty());
  CHECK(s.satisfies_descriptor_constraints(std::span<const double>(cocrfeni.data(), 7)));
  // Co0.2Cr0.2Fe0.2Ni0.2Al0.2: VEC = 36 / 5 = 7.2 < 8 and delta = 0.047 > 0.04 -> both are violated.
  const auto al = point({0.2, 0.2, 0.2, 0.2, 0, 0.2, 0});
  auto v = s.validate(al);
  REQUIRE(v.size() == 2);
  CHECK(v[0].field == "VEC >= 8");
  CHECK(v[0].message == "violated: VEC is 7.2");
  CHECK(v[1].field == "delta <= 0.04");
  CHECK(v[1].message.rfind("violated: delta is 0.0470328", 0) == 0);
  CHECK_FALSE(s.satisfies_descriptor_constraints(std::span<const double>(al.data(), 7)));
  // Co0.3Ni0.3Fe0.25Ti0.1Al0.05: VEC = 2.7 + 3 + 2 + 0.4 + 0.15 = 8.25, but Ti and Al push delta over 0.04.
  const auto ti = point({0.3, 0, 0.25, 0.3, 0, 0.05, 0.1});
  CHECK(descriptor(ti, "delta") == Approx(0.0457328).epsilon(1e-5));
  v = s.validate(ti);
  REQUIRE(v.size() == 1);
  CHECK(v[0].field == "delta <= 0.04");
  // A point that breaks the bounds is reported for them, without descriptor noise.
  v = s.validate(point({0.5, 0.5, 0, 0, 0, 0, 0}));
  CHECK(v.size() == 2);
  CHECK(v[0].field == "Co");
}

TEST_CASE("descriptor rules that cannot hold are refused at construction, naming the rule", "[descriptor_constraints]") {
  // VEC can at most reach 10 (pure Ni), and Ni <= 0.35 caps it far lower.
  REQUIRE_THROWS_WITH(DesignSpace::from_json_text(hea_space(R"({"descriptor": "VEC", "min": 9.8})")),
                      Catch::Contains("descriptor_constraints[0]") && Catch::Contains("'VEC >= 9.8'") &&
                          Catch::Contains("holds at none of") && Catch::Contains("VEC ranged over"));
  REQUIRE_THROWS_WITH(
      DesignSpace::from_json_text(hea_space(R"({"descriptor": "VEC", "min": 8}, {"descriptor": "omega", "max": -1})")),
      Catch::Contains("descriptor_constraints[1]") && Catch::Contains("omega <= -1"));
  REQUIRE_THROWS_WITH(DesignSpace::from_json_text(hea_space(R"({"descriptor": "vec", "min": 8})")),
                      Catch::Contains("unknown descriptor 'vec'") && Catch::Contains("VEC"));
  REQUIRE_THROWS_WITH(DesignSpace::from_json_text(hea_space(R"({"descriptor": "VEC"})")),
                      Catch::Contains("expected \"min\", \"max\" or both"));
  REQUIRE_THROWS_WITH(DesignSpace::from_json_text(hea_space(R"({"descriptor": "VEC", "min": 9, "max": 8})")),
                      Catch::Contains("expected min <= max"));
  REQUIRE_THROWS_WITH(DesignSpace::from_json_text(R"({"process": [{"name": "T", "bounds": [0, 1]}],
      "descriptor_constraints": [{"descriptor": "VEC", "min": 8}], "objectives": [{"name": "y"}]})"),
                      Catch::Contains("need a composition block"));
  // Each rule alone is satisfiable, together they are not. VEC >= 8.6 needs Ni, Co and Fe (Ni0.35Co0.35Fe0.3:
  // VEC 9.05, T_m 1766.9 K); trading Fe for Cr (the best melting-point raiser per VEC lost: +18.45 K per
  // -0.1 VEC and 0.05 step) reaches VEC 8.6 at T_m 1766.9 + 4.5 · 18.45 = 1850 K < 1870 K.
  REQUIRE_THROWS_WITH(
      DesignSpace::from_json_text(hea_space(R"({"descriptor": "VEC", "min": 8.6}, {"descriptor": "Tm_mean", "min": 1870})")),
      Catch::Contains("hold together at none"));
}

TEST_CASE("the sampler only returns points inside the descriptor rules and counts its rejections", "[descriptor_constraints]") {
  DesignSpace s = DesignSpace::from_json_text(hea_space(kRules));
  const Eigen::MatrixXd pts = sample_design_points(s, 200, 7);
  REQUIRE(pts.rows() == 200);
  for (Eigen::Index r = 0; r < pts.rows(); ++r) {
    const Eigen::VectorXd p = pts.row(r).transpose();
    CHECK(descriptor(p, "VEC") >= 8.0 - 1e-9);  // the rules' tolerance, as for linear constraints
    CHECK(descriptor(p, "delta") <= 0.04 + 1e-9);
  }
  SampleOptions tight;
  tight.attempts_per_point = 1;  // most raw draws fail VEC >= 8, so one draw per point cannot do
  REQUIRE_THROWS_WITH(sample_design_points(s, 200, 7, tight), Catch::Contains("VEC >= 8: rejected"));
}

TEST_CASE("pool rows outside the descriptor rules are skipped", "[descriptor_constraints]") {
  TempDir dir;
  const auto pool = dir.path / "pool.csv";
  {
    std::ofstream f(pool);
    f << "composition\nCoCrFeNi\nAlCoCrFeNi\nCoCrFeMnNi\nCo0.3Fe0.25Ni0.3Al0.05Ti0.1\n";
  }
  std::string json = hea_space(kRules, ", \"column\": \"composition\"");
  json.insert(json.rfind('}'), ", \"candidate_pool\": \"" + pool.string() + "\"");
  DesignSpace s = DesignSpace::from_json_text(json);
  std::vector<std::size_t> kept;
  PoolStats st = for_each_pool_chunk(s, pool, 16, [&](const Eigen::MatrixXd&, const std::vector<std::size_t>& rows) {
    kept.insert(kept.end(), rows.begin(), rows.end());
  });
  CHECK(st.rows_read == 4);
  CHECK(st.rows_kept == 2);  // CoCrFeNi (VEC 8.25) and CoCrFeMnNi (VEC 8.0, delta 0.022)
  CHECK(st.first_rejection.find("VEC >= 8") != std::string::npos);
}

TEST_CASE("every proposal of a space with descriptor rules satisfies them", "[descriptor_constraints][propose]") {
  DesignSpace s = DesignSpace::from_json_text(hea_space(kRules));
  // The model prefers Al and Ti, which the rules limit: the optimum lies on the rules' boundary.
  matopt::test::FunctionPosterior model({[](const Eigen::VectorXd& x) { return x[5] + 2 * x[6] + 0.1 * x[1]; }}, 0.05);
  Eigen::MatrixXd X(1, 7), Y(1, 1);
  X << 0.25, 0.25, 0.25, 0.25, 0, 0, 0;
  Y << 0.0;
  ProposeOptions o;
  o.batch.strategy = "ucb";
  o.batch.q = 4;
  o.raw_samples = 256;
  ProposeResult r = propose(s, model, identity_features(), X, Y, Eigen::MatrixXd(), o);
  REQUIRE(r.points.rows() == 4);
  for (Eigen::Index i = 0; i < r.points.rows(); ++i) {
    const Eigen::VectorXd p = r.points.row(i).transpose();
    INFO(p.transpose());
    CHECK(descriptor(p, "VEC") >= 8.0 - 1e-9);  // the rules' tolerance, as for linear constraints
    CHECK(descriptor(p, "delta") <= 0.04 + 1e-9);
    CHECK(s.validate(p).empty());
  }
  // The proposals do use Al/Ti where the rules allow it.
  CHECK(r.points.col(5).sum() + r.points.col(6).sum() > 0.0);
}
