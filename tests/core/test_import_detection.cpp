// SPDX-License-Identifier: MIT
// Import with no column named: composition detection, refusals and the import report.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "matopt/core/dataset.hpp"
#include "matopt/core/error.hpp"

using namespace matopt;

namespace {

CsvTable table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
  CsvTable t;
  t.file = "t.csv";
  t.header = std::move(header);
  t.rows = std::move(rows);
  return t;
}

std::string error_of(const CsvTable& t, const CsvImportOptions& o = {}) {
  try {
    (void)read_dataset_table(t, o);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("composition column names are recognised in any case and spelling", "[import]") {
  for (const char* name : {"composition", "Composition", "FORMULA", "formula_pretty", "Pretty Formula", "comp",
                           " reduced-formula "})
    CHECK(is_composition_column_name(name));
  for (const char* name : {"x", "formula2", "material", "component", ""}) CHECK_FALSE(is_composition_column_name(name));
}

TEST_CASE("a named composition column with a first-row typo is an error, never dropped", "[import]") {
  std::vector<std::vector<std::string>> rows{{"Fe2O3!", "1"}};
  for (int i = 0; i < 30; ++i) rows.push_back({"Fe2O3", std::to_string(i)});
  const std::string e = error_of(table({"Formula", "y"}, rows));
  CHECK(e.find("t.csv: row 2, column 'Formula'") == 0);
  CHECK(e.find("'Fe2O3!'") != std::string::npos);
  CHECK(e.find("named like a composition") != std::string::npos);
}

TEST_CASE("a text column mostly of formulas is the composition column", "[import]") {
  // 2 of 3 cells parse: detected, and the third cell is the error.
  CHECK(error_of(table({"y", "x"}, {{"1", "NiO"}, {"2", "fe2o3"}, {"3", "Fe2O3"}}))
            .find("row 3, column 'x'") != std::string::npos);
  ImportReport r;
  const Dataset d = read_dataset_table(table({"y", "x"}, {{"1", "NiO"}, {"2", "Fe2O3"}}), {}, &r);
  CHECK(d.composition_column == "x");
  CHECK(r.composition_reason == "2 of 2 cells parse as formulas");
  CHECK(r.targets_guessed);
  CHECK(r.summary(d) == "composition column: 'x' (2 of 2 cells parse as formulas); targets: 'y' "
                        "(every numeric or boolean column left)");
  // 1 of 3: a text column, left out with its reason.
  const Dataset t = read_dataset_table(table({"x", "name", "y"}, {{"NiO", "Ni", "1"}, {"FeO", "bob", "2"}, {"CoO", "al", "3"}}),
                                       {}, &r);
  CHECK(t.composition_column == "x");
  REQUIRE(r.not_imported.size() == 1);
  CHECK(r.not_imported[0].first == "name");
}

TEST_CASE("no composition column: an error with the columns, unless said", "[import]") {
  const CsvTable t = table({"T", "y"}, {{"1", "2"}, {"3", "4"}});
  CHECK(error_of(t) == "t.csv: no composition column found; columns: 'T', 'y'; use --composition COL or --no-composition");
  CsvImportOptions o;
  o.no_composition = true;
  ImportReport r;
  const Dataset d = read_dataset_table(t, o, &r);
  CHECK_FALSE(d.has_composition());
  CHECK(d.targets.size() == 2);
  CHECK(r.composition_reason == "given");
  o.no_composition = false;
  o.require_composition = false;
  CHECK(read_dataset_table(t, o).targets.size() == 2);
}

TEST_CASE("default targets: a mostly numeric column with a bad cell is an error; empty tables are refused", "[import]") {
  CHECK(error_of(table({"formula", "y"}, {{"NiO", "1"}, {"FeO", "abc"}, {"CoO", "3"}})) ==
        "t.csv: row 3, column 'y': expected a number (got 'abc')");
  CHECK(error_of(table({"formula", "y"}, {})) == "t.csv: the table has a header but no data rows");
  ImportReport r;
  CsvImportOptions o;
  o.targets = {"y"};
  (void)read_dataset_table(table({"formula", "T", "e", "y"}, {{"NiO", "1", "", "2"}, {"FeO", "2", "", "3"}}), o, &r);
  REQUIRE(r.not_imported.size() == 2);
  CHECK(r.not_imported[0] == std::make_pair(std::string("T"), std::string("not named by --target or --process")));
  CHECK(r.not_imported[1] == std::make_pair(std::string("e"), std::string("every cell is empty")));
  CHECK_FALSE(r.targets_guessed);
}
