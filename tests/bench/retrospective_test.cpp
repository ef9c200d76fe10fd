// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "matopt/bench/retrospective.hpp"
#include "matopt/models/surrogate.hpp"
#include "matopt/core/error.hpp"

namespace fs = std::filesystem;
using namespace matopt;

namespace {

struct Files {
  fs::path dir;
  explicit Files(const std::string& name) {
    dir = fs::temp_directory_path() / ("matopt-test-retro-" + name + "-" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  ~Files() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const char* kConfig = R"({"name": "toy", "parameters": [{"name": "a", "type": "continuous"},
  {"name": "c", "type": "categorical", "options": ["u", "v"]}], "objectives": [{"name": "y", "goal": "minimize"}]})";

}  // namespace

TEST_CASE("retrospective pool: identical inputs are averaged, categoricals one-hot", "[retrospective]") {
  Files f("pool");
  std::ofstream(f.dir / "d.csv") << "a,c,y\n1,u,3\n1,u,5\n2,u,1\n1,v,7\n3,v,2\n4,u,6\n";
  std::ofstream(f.dir / "d.json") << kConfig;
  const RetrospectivePool p = load_retrospective_pool(f.dir / "d.csv", f.dir / "d.json");
  CHECK(p.rows_read == 6);
  REQUIRE(p.X.rows() == 5);
  REQUIRE(p.X.cols() == 3);  // a, one-hot(u, v)
  // First candidate (1, u): mean of 3 and 5.
  CHECK(p.X(0, 0) == 1.0);
  CHECK(p.X(0, 1) == 1.0);
  CHECK(p.X(0, 2) == 0.0);
  CHECK(p.Y(0, 0) == 4.0);
  CHECK(p.Y(2, 0) == 7.0);  // (1, v)
  CHECK_FALSE(p.maximize[0]);

  std::ofstream(f.dir / "bad.csv") << "a,c,y\n1,u,3\nx,u,5\n";
  CHECK_THROWS_WITH(load_retrospective_pool(f.dir / "bad.csv", f.dir / "d.json"),
                    Catch::Contains("row 3") && Catch::Contains("column 'a'"));
}

TEST_CASE("retrospective campaigns: Top%, EF and AF follow their definitions", "[retrospective]") {
  Files f("run");
  // 40 candidates on a line, y = -(x - 30)^2: the top 5 % (ceil) are the 2 candidates nearest x = 30.
  {
    std::ofstream d(f.dir / "d.csv");
    d << "x,y\n";
    for (int i = 0; i < 40; ++i) d << i << "," << -(i - 30.0) * (i - 30.0) << "\n";
    std::ofstream(f.dir / "d.json") << R"({"parameters": [{"name": "x"}], "objectives": [{"name": "y", "goal": "maximize"}]})";
  }
  const RetrospectivePool p = load_retrospective_pool(f.dir / "d.csv", f.dir / "d.json");
  RetrospectiveOptions o;
  o.budget = 12;
  o.repeats = 2;
  o.random_repeats = 30;
  o.propose.strategy = "ucb";
  o.propose.model_options = R"({"restarts": 1})";
  o.seed = 11;
  const RetrospectiveResult r = run_retrospective(p, o);
  CHECK(r.pool_size == 40);
  CHECK(r.top_count == 2);
  REQUIRE(r.bo.size() == 2);
  REQUIRE(r.bo[0].size() == 12);
  REQUIRE(r.random.size() == 30);
  REQUIRE(r.random[0].size() == 40);  // random search runs through the whole pool
  for (const auto& t : r.random) {
    CHECK(t.back() == 1.0);
    for (std::size_t i = 1; i < t.size(); ++i) CHECK(t[i] >= t[i - 1]);
  }
  for (const auto& t : r.bo)
    for (double v : t) CHECK((v == 0.0 || v == 0.5 || v == 1.0));
  // EF(i) = mean BO / mean random.
  for (std::size_t i = 0; i < r.ef.size(); ++i)
    if (r.random_mean[i] > 0) CHECK(r.ef[i] == Approx((r.bo[0][i] + r.bo[1][i]) / 2 / r.random_mean[i]));
  // AF at 100 %: median of the evaluations random search needed, over the BO median.
  REQUIRE(r.af.size() == 3);
  if (std::isfinite(r.af[2])) CHECK(r.af[2] == Approx(r.random_median_evals[2] / r.bo_median_evals[2]));
  // Deterministic for a seed.
  const RetrospectiveResult again = run_retrospective(p, o);
  CHECK(again.bo == r.bo);
  CHECK(again.random == r.random);
  // The surrogate is a choice: a random forest runs the same protocol, deterministically, with its own
  // picks; an unknown model or bad options fail before any campaign runs.
  RetrospectiveOptions forest = o;
  forest.propose.model = "forest";
  forest.propose.model_options = R"({"trees": 30})";
  const RetrospectiveResult rf = run_retrospective(p, forest);
  REQUIRE(rf.bo.size() == 2);
  for (const auto& t : rf.bo) {
    REQUIRE(t.size() == 12);
    for (std::size_t i = 1; i < t.size(); ++i) CHECK(t[i] >= t[i - 1]);
  }
  CHECK(rf.random == r.random);  // random search does not depend on the model
  CHECK(run_retrospective(p, forest).bo == rf.bo);
  CHECK(rf.model_options == R"({"trees": 30})");  // no GP priors added to a forest's options
  forest.propose.model = "svm";
  CHECK_THROWS_WITH(run_retrospective(p, forest), Catch::Contains("bench campaign") && Catch::Contains("forest"));
  forest.propose.model = "forest";
  forest.propose.model_options = R"({"trees": 0})";
  CHECK_THROWS_AS(run_retrospective(p, forest), InvalidArgument);
  // Budget larger than the pool is refused.
  o.budget = 41;
  CHECK_THROWS_AS(run_retrospective(p, o), InvalidArgument);
}

TEST_CASE("retrospective campaigns add few-point GP priors unless the options set them", "[retrospective]") {
  const auto j = nlohmann::json::parse(retrospective_model_options("gp", R"({"restarts": 1})"));
  CHECK(j.at("restarts") == 1);
  CHECK(j.at("noise_prior") == nlohmann::json::array({"lognormal", -4.0, 1.0}));
  CHECK(j.at("length_scale_prior") == nlohmann::json::array({"gamma", 3.0, 1.73}));
  const auto user = nlohmann::json::parse(
      retrospective_model_options("gp", R"({"noise_prior": true, "length_scale_prior": "none"})"));
  CHECK(user.at("noise_prior") == true);
  CHECK(user.at("length_scale_prior") == "none");
  CHECK(nlohmann::json::parse(retrospective_model_options("gp", "")).size() == 2);
  CHECK(retrospective_model_options("ensemble", R"({"members": 3})") == R"({"members": 3})");
  CHECK_THROWS_AS(retrospective_model_options("gp", "[1]"), InvalidArgument);
  CHECK_THROWS_AS(retrospective_model_options("gp", "{"), InvalidArgument);
  // The options are valid GP options.
  CHECK_NOTHROW(make_surrogate("gp", retrospective_model_options("gp", "")));
}
