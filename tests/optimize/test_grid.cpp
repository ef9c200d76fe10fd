// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/grid.hpp"

using namespace matopt;

namespace {

std::string space_json(const std::string& composition, const std::string& extra = "") {
  return R"({"composition": )" + composition + extra + R"(, "objectives": [{"name": "y"}]})";
}

// Every composition on the grid the slow way: all unit vectors summing to 1/granularity, kept when
// DesignSpace::validate (bounds, cardinality, required, linear and descriptor rules) accepts them.
// Returned in lexicographic order of the fractions, the grid's order.
std::vector<Eigen::VectorXd> brute_force(const DesignSpace& s) {
  const int n = s.num_elements();
  const int units = static_cast<int>(std::lround(1.0 / s.spec().composition.granularity));
  std::vector<Eigen::VectorXd> out;
  std::vector<int> v(n);
  std::function<void(int, int)> rec = [&](int i, int left) {
    if (i == n - 1) {
      v[i] = left;
      Eigen::VectorXd p(n);
      for (int j = 0; j < n; ++j) p[j] = static_cast<double>(v[j]) / units;
      if (s.is_feasible(p)) out.push_back(p);
      return;
    }
    for (int k = 0; k <= left; ++k) {
      v[i] = k;
      rec(i + 1, left - k);
    }
  };
  rec(0, units);
  return out;
}

const char* kBounded = R"({"elements": ["Fe", "Ni", "Co", "Cr"], "bounds": {"Fe": [0.2, 0.7], "Co": [0, 0.3]},
                          "granularity": 0.05)";

}  // namespace

TEST_CASE("grid counts equal brute-force enumeration for each constraint kind", "[grid]") {
  struct Case {
    const char* name;
    std::string json;
  };
  const std::vector<Case> cases = {
      {"plain simplex", space_json(R"({"elements": ["Fe", "Ni", "Co"], "granularity": 0.1})")},
      {"bounds", space_json(std::string(kBounded) + "}")},
      {"cardinality", space_json(R"({"elements": ["Fe", "Ni", "Co", "Cr", "Al"], "granularity": 0.1, "max_components": 2})")},
      {"required", space_json(R"({"elements": ["Fe", "Ni", "Co", "Cr"], "granularity": 0.1, "max_components": 3,
                                   "required": ["Cr"]})")},
      {"bounds + cardinality + required",
       space_json(std::string(kBounded) + R"(, "max_components": 3, "required": ["Ni"]})")},
      {"linear", space_json(std::string(kBounded) + "}", R"(, "linear_constraints": [{"terms": {"Ni": 1, "Co": 1}, "<=": 0.4}])")},
      {"descriptor", space_json(R"({"elements": ["Co", "Cr", "Fe", "Ni", "Al"], "granularity": 0.05})",
                                R"(, "descriptor_constraints": [{"descriptor": "VEC", "min": 8.0}])")},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const DesignSpace s = DesignSpace::from_json_text(c.json);
      const DesignGrid g(s);
      const auto expected = brute_force(s);
      const bool constrained = !s.spec().linear_constraints.empty() || !s.spec().descriptor_constraints.empty();
      CHECK(g.exact() == !constrained);
      // Every grid point in order; the feasible ones are exactly the brute-force list.
      std::vector<Eigen::VectorXd> visited;
      Eigen::VectorXd x(s.dimension());
      const std::uint64_t end = g.index_end();
      for (std::uint64_t i = 0; i < end; ++i) {
        g.unrank(i, x);
        CHECK(g.rank(x) == i);
        CHECK(s.is_feasible(x) == g.is_feasible(x));  // bounds, cardinality, required hold everywhere
        if (g.is_feasible(x)) visited.push_back(x);
      }
      REQUIRE(visited.size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) CHECK(visited[i] == expected[i]);
      if (!constrained) CHECK(end == expected.size());
    }
  }
}

TEST_CASE("next() walks the grid in unrank order", "[grid]") {
  const DesignSpace s = DesignSpace::from_json_text(space_json(std::string(kBounded) + R"(, "max_components": 3})",
      R"(, "process": [{"name": "T", "bounds": [300, 900]}, {"name": "gas", "type": "categorical", "categories": ["Ar", "N2"]}])"));
  const DesignGrid g(s, ProcessGrid{{{300, 600, 900}, {0, 1}}});
  CHECK(g.process_combinations() == 6);
  CHECK(g.size() == g.compositions() * 6);
  Eigen::VectorXd walk(s.dimension()), direct(s.dimension());
  g.unrank(0, walk);
  const std::uint64_t end = g.index_end();
  for (std::uint64_t i = 1; i < end; ++i) {
    REQUIRE(g.next(walk));
    g.unrank(i, direct);
    REQUIRE(walk == direct);
    CHECK(g.rank(walk) == i);
  }
  CHECK_FALSE(g.next(walk));
  // The last process parameter varies fastest.
  g.unrank(1, direct);
  CHECK(direct[4] == 300);
  CHECK(direct[5] == 1);
  g.unrank(2, direct);
  CHECK(direct[4] == 600);
  CHECK(direct[5] == 0);
}

TEST_CASE("grid counts by hand and for spaces too large to enumerate", "[grid]") {
  // 3 elements at 0.1: C(10 + 2, 2) = 66 compositions.
  CHECK(DesignGrid(DesignSpace::from_json_text(space_json(R"({"elements": ["Fe", "Ni", "Co"], "granularity": 0.1})"))).size() == 66);
  // 5 of 10 elements at 1 %: sum over k = 1..5 of C(10, k) C(99, k - 1) = 10 + 45*99 + 120*4851
  // + 210*156849 + 252*3764376 = 982,147,627.
  const DesignSpace five = DesignSpace::from_json_text(space_json(
      R"({"elements": ["Fe", "Ni", "Co", "Cr", "Mn", "Al", "Ti", "Cu", "V", "Mo"], "granularity": 0.01, "max_components": 5})"));
  CHECK(to_string_count(DesignGrid(five).size()) == "982147627");
  // 12 elements at 0.1 %: C(1011, 11) = 26754600320515262649789426, countable but not enumerable.
  const DesignSpace big = DesignSpace::from_json_text(space_json(
      R"({"elements": ["Fe", "Ni", "Co", "Cr", "Mn", "Al", "Ti", "Cu", "V", "Mo", "W", "Nb"], "granularity": 0.001})"));
  const DesignGrid gb(big);
  CHECK(to_string_count(gb.size()) == "26754600320515262649789426");
  CHECK_THROWS_WITH(gb.index_end(), Catch::Contains("more than 2^64 - 1"));
}

TEST_CASE("grid refusals name what is wrong", "[grid]") {
  CHECK_THROWS_WITH(DesignGrid(DesignSpace::from_json_text(space_json(R"({"elements": ["Fe", "Ni"]})"))),
                    Catch::Contains("composition.granularity"));
  const DesignSpace p = DesignSpace::from_json_text(space_json(R"({"elements": ["Fe", "Ni"], "granularity": 0.5})",
                                                               R"(, "process": [{"name": "T", "bounds": [300, 900]}])"));
  CHECK_THROWS_WITH(DesignGrid(p), Catch::Contains("expected values for 1 process parameters"));
  CHECK_THROWS_WITH(DesignGrid(p, ProcessGrid{{{1000}}}), Catch::Contains("value 1000 of 'T' is outside its domain"));
  const DesignGrid g(p, ProcessGrid{{{300}}});
  Eigen::VectorXd x(3);
  CHECK_THROWS_WITH(g.unrank(3, x), Catch::Contains("past the last grid point (3 points)"));
  x << 0.3, 0.7, 300;
  CHECK_THROWS_WITH(g.rank(x), Catch::Contains("not a multiple of the granularity"));
}
