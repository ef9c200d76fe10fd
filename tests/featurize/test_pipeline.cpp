// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "matopt/core/archive.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/error.hpp"
#include "matopt/featurize/featurizer.hpp"
#include "matopt/featurize/pipeline.hpp"

using namespace matopt;

namespace {

Column numeric(const std::string& name, std::vector<double> v, ColumnType t = ColumnType::Continuous) {
  Column c;
  c.name = name;
  c.type = t;
  c.values = std::move(v);
  return c;
}

Column categorical(const std::string& name, std::vector<std::string> cats, std::vector<double> idx) {
  Column c;
  c.name = name;
  c.type = ColumnType::Categorical;
  c.categories = std::move(cats);
  c.values = std::move(idx);
  return c;
}

Dataset make_data(const std::vector<std::string>& formulas) {
  Dataset d;
  d.composition_column = "composition";
  for (std::size_t i = 0; i < formulas.size(); ++i) {
    std::string id = "r";
    id += std::to_string(i + 1);
    d.ids.push_back(id);
    d.formulas.push_back(formulas[i]);
    d.compositions.push_back(Composition::parse(formulas[i]));
  }
  return d;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("pipeline: composition + process features with training statistics", "[pipeline]") {
  Dataset train = make_data({"Fe2O3", "NaCl", "SiO2", "Fe"});
  train.process.push_back(numeric("T", {300, 500, 700, 900}));
  train.process.push_back(numeric("time", {1, 10, 100, 1000}));
  train.process.push_back(numeric("steps", {1, 2, 3, 4}, ColumnType::Integer));
  train.process.push_back(categorical("atm", {"air", "Ar"}, {0, 1, 1, 0}));
  PipelineOptions o;
  o.features = "magpie+stoichiometry";
  o.log_columns = {"time"};
  Pipeline p(o);
  Eigen::MatrixXd X = p.fit_transform(train);
  REQUIRE(p.is_fitted());
  REQUIRE(p.size() == 132 + 6 + 3 + 2);
  REQUIRE(X.cols() == static_cast<Eigen::Index>(p.size()));
  auto labels = p.labels();
  CHECK(labels[138] == "T");
  CHECK(labels[139] == "log(time)");
  CHECK(labels[140] == "steps");
  CHECK(labels[141] == "atm=air");
  CHECK(labels[142] == "atm=Ar");
  // T: mean 600, population std sqrt((300^2+100^2+100^2+300^2)/4) = sqrt(50000).
  CHECK(X(0, 138) == Approx(-300.0 / std::sqrt(50000.0)).epsilon(1e-14));
  CHECK(X(3, 138) == Approx(300.0 / std::sqrt(50000.0)).epsilon(1e-14));
  // log(time) = k ln10, k = 0..3: mean 1.5 ln10, std sqrt(1.25) ln10 -> row 0: -1.5/sqrt(1.25).
  CHECK(X(0, 139) == Approx(-1.5 / std::sqrt(1.25)).epsilon(1e-13));
  CHECK(X(1, 141) == 0.0);
  CHECK(X(1, 142) == 1.0);
  CHECK(X(0, 3) == Approx(15.2).epsilon(1e-14));  // magpie mean Number of Fe2O3

  // Transform uses the training statistics, and maps categories by label, not by index.
  Dataset test = make_data({"NiO"});
  test.process.push_back(numeric("T", {600}));
  test.process.push_back(numeric("time", {std::sqrt(10.0) * 10.0}));
  test.process.push_back(numeric("steps", {2}, ColumnType::Integer));
  test.process.push_back(categorical("atm", {"Ar", "air"}, {1}));
  Eigen::MatrixXd Y = p.transform(test);
  CHECK(Y(0, 138) == 0.0);
  CHECK(std::fabs(Y(0, 139)) < 1e-15);
  CHECK(Y(0, 141) == 1.0);
  CHECK(Y(0, 142) == 0.0);
}

TEST_CASE("pipeline: JSON and Archive round trips give bit-identical features", "[pipeline]") {
  Dataset train = make_data({"Fe2O3", "NaCl", "Al2Cu2Mg", "CuSO4·5H2O"});
  train.process.push_back(numeric("T", {300.1, 512.3, 733.7, 901.9}));
  train.process.push_back(categorical("atm", {"air", "Ar", "N2"}, {0, 1, 2, 0}));
  PipelineOptions o;
  o.features = "magpie+fractions+stoichiometry+valence_orbital";
  o.log_columns = {"T"};
  Pipeline p(o);
  Eigen::MatrixXd X = p.fit_transform(train);

  Pipeline q = Pipeline::from_json(p.to_json());
  Archive a;
  p.save(a.child("pipeline"));
  Pipeline r = Pipeline::load(a.child("pipeline"));
  CHECK(q.labels() == p.labels());
  CHECK(r.labels() == p.labels());
  Eigen::MatrixXd Xq = q.transform(train), Xr = r.transform(train);
  REQUIRE(Xq.rows() == X.rows());
  CHECK(std::memcmp(Xq.data(), X.data(), sizeof(double) * X.size()) == 0);
  CHECK(std::memcmp(Xr.data(), X.data(), sizeof(double) * X.size()) == 0);
  CHECK(q.to_json() == p.to_json());
  // The fitted fraction element list travels with it.
  Dataset unseen = make_data({"Fe2O3", "ZrO2"});
  unseen.process = {numeric("T", {500, 500}), categorical("atm", {"air"}, {0, 0})};
  std::string msg = error_of([&] { (void)q.transform(unseen); });
  CHECK(msg.find("Zr") != std::string::npos);
  CHECK(msg.find("row 3") != std::string::npos);
}

TEST_CASE("pipeline: bad input is rejected with row, column and value", "[pipeline]") {
  Dataset train = make_data({"Fe2O3", "NaCl"});
  train.process.push_back(numeric("T", {300, 400}));
  train.process.push_back(categorical("atm", {"air", "Ar"}, {0, 1}));
  Pipeline p(PipelineOptions{});
  p.fit(train);

  Dataset t1 = train;
  t1.process[1] = categorical("atm", {"air", "vacuum"}, {0, 1});
  std::string m1 = error_of([&] { (void)p.transform(t1); });
  CHECK(m1.find("vacuum") != std::string::npos);
  CHECK(m1.find("atm") != std::string::npos);
  CHECK(m1.find("row 3") != std::string::npos);

  Dataset t2 = train;
  t2.process[0].values[1] = std::nan("");
  CHECK_THROWS_AS(p.transform(t2), DataError);
  Dataset t2b = train;
  t2b.process[0].values[0] = INFINITY;
  std::string m2 = error_of([&] { Pipeline(PipelineOptions{}).fit(t2b); });
  CHECK(m2.find("'T'") != std::string::npos);
  CHECK(m2.find("row 2") != std::string::npos);

  Dataset t3 = train;
  t3.process.pop_back();
  CHECK(error_of([&] { (void)p.transform(t3); }).find("atm") != std::string::npos);

  Dataset t4 = train;
  t4.process[0] = categorical("T", {"hot"}, {0, 0});
  CHECK(error_of([&] { (void)p.transform(t4); }).find("categorical") != std::string::npos);

  PipelineOptions bad;
  bad.features = "magpie+nope";
  std::string m5 = error_of([&] { Pipeline x(bad); });
  CHECK(m5.find("nope") != std::string::npos);
  CHECK(m5.find("stoichiometry") != std::string::npos);
  CHECK_THROWS_AS(Pipeline(bad), InvalidArgument);

  PipelineOptions lg;
  lg.log_columns = {"T"};
  Dataset t6 = train;
  t6.process[0].values[0] = -1.0;
  CHECK(error_of([&] { Pipeline(lg).fit(t6); }).find("> 0") != std::string::npos);
  lg.log_columns = {"pressure"};
  CHECK_THROWS_AS(Pipeline(lg).fit(train), InvalidArgument);

  CHECK_THROWS_AS(Pipeline().transform(train), InvalidArgument);
  CHECK_THROWS_AS(Pipeline::from_json("{\"schema_version\": 1}"), DataError);
  CHECK_THROWS_AS(Pipeline::from_json("not json"), DataError);
}

TEST_CASE("pipeline: process-only data and featurizer listing", "[pipeline]") {
  Dataset d;
  d.ids = {"a", "b"};
  d.process.push_back(numeric("x", {1.0, 3.0}));
  Pipeline p;  // default features "magpie": not applicable without compositions
  Eigen::MatrixXd X = p.fit_transform(d);
  REQUIRE(X.cols() == 1);
  CHECK(X(0, 0) == -1.0);
  CHECK(X(1, 0) == 1.0);

  auto list = list_featurizers();
  REQUIRE(list.size() == 6);
  CHECK(list[0] == std::make_pair(std::string("magpie"), std::size_t{132}));
  CHECK(list[1] == std::make_pair(std::string("fractions"), std::size_t{0}));
  CHECK(list[2] == std::make_pair(std::string("stoichiometry"), std::size_t{6}));
  CHECK(list[3] == std::make_pair(std::string("valence_orbital"), std::size_t{8}));
  CHECK(list[4] == std::make_pair(std::string("element_slots"), std::size_t{32}));
  CHECK(list[5] == std::make_pair(std::string("alloy"), std::size_t{11}));
}

TEST_CASE("pipeline: multi-threaded transform equals single-threaded", "[pipeline]") {
  std::vector<std::string> f;
  const char* base[] = {"Fe2O3", "NaCl", "Al2Cu2Mg", "HeFe3", "Mg3[Fe(CN)6]2"};
  for (int i = 0; i < 20000; ++i) f.emplace_back(base[i % 5]);
  Dataset d = make_data(f);
  PipelineOptions o1, o4;
  o1.threads = 1;
  o4.threads = 4;
  Eigen::MatrixXd A = Pipeline(o1).fit_transform(d), B = Pipeline(o4).fit_transform(d);
  CHECK(std::memcmp(A.data(), B.data(), sizeof(double) * A.size()) == 0);
}
