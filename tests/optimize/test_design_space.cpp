// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <string>

#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"

using namespace matopt;

namespace {

const char* kFull = R"({
  "composition": {
    "elements": ["Fe", "Ni", "Co", "Cr", "Al"],
    "bounds": {"Fe": [0.2, 0.8], "Al": [0, 0.1]},
    "max_components": 4,
    "granularity": 0.01,
    "required": ["Cr"]
  },
  "process": [
    {"name": "temperature", "type": "continuous", "bounds": [600, 1200], "unit": "K"},
    {"name": "time", "type": "continuous", "bounds": [0.1, 100], "log": true},
    {"name": "passes", "type": "integer", "bounds": [1, 5]},
    {"name": "atmosphere", "type": "categorical", "categories": ["Ar", "N2", "air"]}
  ],
  "linear_constraints": [
    {"terms": {"Ni": 1, "Co": 1}, "<=": 0.5},
    {"terms": {"temperature": 1, "passes": -100}, ">=": 500}
  ],
  "objectives": [
    {"name": "hardness", "goal": "maximize", "unit": "HV"},
    {"name": "cost", "goal": "minimize"},
    {"name": "gap", "goal": "target", "range": [1.2, 1.6]}
  ],
  "output_constraints": [{"name": "density", "max": 8, "unit": "g/cc"}, {"name": "cost", "min": 0}]
})";

std::string error_of(const std::string& json) {
  try {
    DesignSpace::from_json_text(json);
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no error)";
}

// Fe0.5 Ni0.2 Co0.1 Cr0.2, 900 K, 1 h, 2 passes, N2: feasible in kFull.
Eigen::VectorXd good_point() {
  Eigen::VectorXd p(9);
  p << 0.5, 0.2, 0.1, 0.2, 0.0, 900, 1.0, 2, 1;
  return p;
}

bool has_field(const std::vector<Violation>& v, const std::string& field) {
  for (const auto& x : v)
    if (x.field == field) return true;
  return false;
}

}  // namespace

TEST_CASE("design space JSON is parsed into coordinates, outputs and constraints", "[design_space]") {
  DesignSpace s = DesignSpace::from_json_text(kFull);
  CHECK(s.dimension() == 9);
  CHECK(s.coordinate_names() == std::vector<std::string>{"Fe", "Ni", "Co", "Cr", "Al", "temperature", "time", "passes", "atmosphere"});
  CHECK(s.max_components() == 4);
  // Fe has min 0.2 > 0, so it is required too.
  CHECK(s.spec().composition.elements[0].required);
  CHECK(s.spec().composition.elements[3].required);
  CHECK_FALSE(s.spec().composition.elements[1].required);
  CHECK(s.output_names() == std::vector<std::string>{"hardness", "cost", "gap", "density"});
  REQUIRE(s.objectives().size() == 3);
  CHECK(s.objectives()[1].goal == Goal::Minimize);
  CHECK(s.objectives()[2].output == 2);
  CHECK(s.objectives()[2].target_low == 1.2);
  REQUIRE(s.outcome_constraints().size() == 2);
  CHECK(s.outcome_constraints()[0].output == 3);
  CHECK(s.outcome_constraints()[0].upper == 8.0);
  CHECK(s.outcome_constraints()[1].output == 1);  // shares the objective's output
  CHECK(s.spec().units.at("density") == "g/cc");
  // ">=" constraints are stored negated: -temperature + 100 passes <= -500.
  CHECK(s.spec().linear_constraints[1].upper == -500.0);
  CHECK(s.spec().linear_constraints[1].text == "temperature - 100*passes >= 500");
  CHECK(s.validate(good_point()).empty());
}

TEST_CASE("to_json_text round-trips", "[design_space]") {
  DesignSpace a = DesignSpace::from_json_text(kFull);
  DesignSpace b = DesignSpace::from_json_text(a.to_json_text());
  CHECK(b.to_json_text() == a.to_json_text());
  CHECK(b.coordinate_names() == a.coordinate_names());
  CHECK(b.output_names() == a.output_names());
  CHECK(b.spec().composition.granularity == 0.01);
  CHECK(b.spec().process[1].log_scale);
  CHECK(b.spec().linear_constraints[1].text == a.spec().linear_constraints[1].text);
  CHECK(b.validate(good_point()).empty());
}

TEST_CASE("validator reports each kind of violation", "[design_space][validator]") {
  DesignSpace s = DesignSpace::from_json_text(kFull);
  Eigen::VectorXd p = good_point();

  SECTION("sum to one") {
    p[0] = 0.49;
    p[4] = 0.0;
    auto v = s.validate(p);
    CHECK(has_field(v, "composition"));
  }
  SECTION("element bounds") {
    p << 0.1, 0.3, 0.2, 0.4, 0.0, 900, 1.0, 2, 1;  // Fe below its min 0.2
    CHECK(has_field(s.validate(p), "Fe"));
  }
  SECTION("cardinality") {
    p << 0.5, 0.2, 0.1, 0.1, 0.1, 900, 1.0, 2, 1;  // five elements, at most four
    auto v = s.validate(p);
    CHECK(has_field(v, "max_components"));
    CHECK(v.size() == 1);
  }
  SECTION("granularity") {
    p << 0.505, 0.195, 0.1, 0.2, 0.0, 900, 1.0, 2, 1;
    auto v = s.validate(p);
    CHECK(has_field(v, "Fe"));
    CHECK(has_field(v, "Ni"));
  }
  SECTION("required element") {
    p << 0.6, 0.3, 0.1, 0.0, 0.0, 900, 1.0, 2, 1;  // no Cr
    auto v = s.validate(p);
    REQUIRE(v.size() == 1);
    CHECK(v[0].field == "Cr");
    CHECK(v[0].message == "required element is absent");
  }
  SECTION("linear constraint on fractions") {
    p << 0.4, 0.3, 0.21, 0.09, 0.0, 900, 1.0, 2, 1;  // Ni + Co = 0.51
    CHECK(has_field(s.validate(p), "Ni + Co <= 0.5"));
  }
  SECTION("linear constraint on process parameters") {
    p[5] = 650;  // 650 - 100*2 = 450 < 500
    p[7] = 2;
    CHECK(has_field(s.validate(p), "temperature - 100*passes >= 500"));
  }
  SECTION("integer and categorical domains, continuous bounds") {
    p[7] = 2.5;
    p[8] = 3;
    p[6] = 200;
    auto v = s.validate(p);
    CHECK(has_field(v, "passes"));
    CHECK(has_field(v, "atmosphere"));
    CHECK(has_field(v, "time"));
    CHECK(v.size() == 3);
  }
  SECTION("size and NaN") {
    CHECK(has_field(s.validate(Eigen::VectorXd::Zero(3)), "point"));
    p[5] = std::nan("");
    CHECK(has_field(s.validate(p), "temperature"));
  }
}

TEST_CASE("infeasible spaces are explained up front", "[design_space][infeasible]") {
  auto comp = [](const std::string& block) {
    return R"({"composition": )" + block + R"(, "objectives": [{"name": "y"}]})";
  };
  CHECK_THAT(error_of(comp(R"({"elements": ["Fe", "Ni"], "bounds": {"Fe": [0, 0.4], "Ni": [0, 0.5]}})")),
             Catch::Contains("sum to at most 0.9 < 1"));
  CHECK_THAT(error_of(comp(R"({"elements": ["Fe", "Ni", "Co"], "bounds": {"Fe": [0, 0.5], "Ni": [0, 0.4], "Co": [0, 0.5]}, "max_components": 1})")),
             Catch::Contains("at most 1 elements sum to at most 0.5"));
  CHECK_THAT(error_of(comp(R"({"elements": ["Fe", "Ni", "Co"], "bounds": {"Fe": [0.6, 1], "Ni": [0.5, 1]}})")),
             Catch::Contains("minimum fractions sum to 1.1 > 1"));
  CHECK_THAT(error_of(comp(R"({"elements": ["Fe", "Ni", "Co"], "required": ["Fe", "Ni", "Co"], "max_components": 2})")),
             Catch::Contains("3 elements are required") && Catch::Contains("max_components is 2"));
  CHECK_THAT(error_of(comp(R"({"elements": ["Fe", "Ni"], "granularity": 0.003})")),
             Catch::Contains("composition.granularity") && Catch::Contains("not a whole number"));
  CHECK_THAT(error_of(comp(R"({"elements": ["Fe", "Ni"], "bounds": {"Ni": [0.101, 0.104]}, "granularity": 0.005})")),
             Catch::Contains("composition.bounds.Ni") && Catch::Contains("no positive multiple of 0.005"));
  CHECK_THAT(error_of(R"({"composition": {"elements": ["Fe", "Ni", "Co"], "bounds": {"Fe": [0, 0.4]}},
                         "linear_constraints": [{"terms": {"Ni": 1, "Co": 1}, "<=": 0.5}], "objectives": [{"name": "y"}]})"),
             Catch::Contains("linear_constraints[0]") && Catch::Contains("at least 0.6"));
  CHECK_THAT(error_of(R"({"process": [{"name": "t", "type": "integer", "bounds": [1.2, 1.8]}], "objectives": [{"name": "y"}]})"),
             Catch::Contains("process.t.bounds") && Catch::Contains("no integer"));
}

TEST_CASE("JSON errors name the field path and what was expected", "[design_space][json]") {
  CHECK_THAT(error_of(R"({"composition": {"elements": ["Fe", "Ni"], "bounds": {"Ni": [0, "x"]}}, "objectives": [{"name": "y"}]})"),
             Catch::Contains("composition.bounds.Ni[1]") && Catch::Contains("expected a number"));
  CHECK_THAT(error_of(R"({"composition": {"elements": ["Fe", "Xx"]}, "objectives": [{"name": "y"}]})"),
             Catch::Contains("composition.elements[1]") && Catch::Contains("'Xx' is not an element symbol"));
  CHECK_THAT(error_of(R"({"composition": {"elements": ["Fe"], "bounds": {"Ni": [0, 1]}}, "objectives": [{"name": "y"}]})"),
             Catch::Contains("composition.bounds.Ni") && Catch::Contains("not in composition.elements"));
  CHECK_THAT(error_of(R"({"process": [{"name": "t", "type": "real", "bounds": [0, 1]}], "objectives": [{"name": "y"}]})"),
             Catch::Contains("process[0].type") && Catch::Contains("\"continuous\", \"integer\" or \"categorical\""));
  CHECK_THAT(error_of(R"({"process": [{"name": "t", "bounds": [0, 1]}], "objectives": [{"name": "y", "goal": "up"}]})"),
             Catch::Contains("objectives[0].goal"));
  CHECK_THAT(error_of(R"({"process": [{"name": "t", "bounds": [0, 1]}], "objectives": [{"name": "y"}], "colour": 1})"),
             Catch::Contains("colour") && Catch::Contains("unknown field"));
  CHECK_THAT(error_of(R"({"process": [{"name": "t", "bounds": [0, 1]}]})"), Catch::Contains("objectives") && Catch::Contains("missing"));
  CHECK_THAT(error_of(R"({"process": [{"name": "t", "bounds": [0, 1]}], "objectives": [{"name": "y", "goal": "target"}]})"),
             Catch::Contains("objectives[0]") && Catch::Contains("\"target\""));
  CHECK_THAT(error_of(R"({"process": [{"name": "t", "bounds": [0, 1]}], "linear_constraints": [{"terms": {"u": 1}, "<=": 1}], "objectives": [{"name": "y"}]})"),
             Catch::Contains("linear_constraints[0].terms.u"));
  CHECK_THAT(error_of("{not json"), Catch::Contains("invalid JSON"));
}

TEST_CASE("design points convert to datasets and back", "[design_space][dataset]") {
  DesignSpace s = DesignSpace::from_json_text(kFull);
  Eigen::MatrixXd P(2, 9);
  P.row(0) = good_point().transpose();
  P.row(1) << 0.3, 0.0, 0.0, 0.7, 0.0, 1100, 10.0, 5, 2;
  Dataset d = s.to_dataset(P);
  REQUIRE(d.rows() == 2);
  CHECK(d.composition_column == "composition");
  CHECK(d.compositions[1].size() == 2);  // zero fractions are dropped
  CHECK(d.process.size() == 4);
  CHECK(d.process[3].type == ColumnType::Categorical);
  CHECK(d.process[3].text(1) == "air");
  Eigen::MatrixXd back = s.points_from_dataset(d);
  CHECK((back - P).cwiseAbs().maxCoeff() < 1e-12);

  Dataset bad = d;
  bad.process[3].categories = {"Ar", "N2", "He"};
  CHECK_THROWS_WITH(s.point_from_dataset(bad, 1), Catch::Contains("row 3") && Catch::Contains("'He'") && Catch::Contains("unknown category"));
}
