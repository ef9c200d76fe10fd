// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cctype>
#include <cmath>
#include <unistd.h>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "matopt/core/composition.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"

using matopt::Composition;
using matopt::FormulaError;
using matopt::element_z;

namespace {

// Expected composition given as symbol -> amount (normalized here).
void check_fractions(const Composition& c, const std::map<std::string, double>& amounts, double tol = 1e-12) {
  double total = 0;
  for (const auto& [s, a] : amounts) total += a;
  REQUIRE(c.size() == amounts.size());
  double sum = 0;
  for (const auto& [s, a] : amounts) {
    INFO("element " << s);
    const int z = element_z(s);
    REQUIRE(z > 0);
    CHECK(c.fraction(z) == Approx(a / total).margin(tol).epsilon(0));
    sum += c.fraction(z);
  }
  CHECK(sum == Approx(1.0).margin(1e-14));
}

std::vector<std::string> first_column(const std::string& file) {
  std::ifstream in(std::string(MATOPT_TEST_DATA_DIR) + "/matbench/" + file);
  REQUIRE(in.good());
  std::vector<std::string> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line.substr(0, line.find(',')));
  }
  return out;
}

std::string error_of(const std::string& formula, std::size_t* pos = nullptr, std::string* token = nullptr,
                     const matopt::FormulaOptions& opt = {}) {
  try {
    (void)Composition::parse(formula, opt);
  } catch (const FormulaError& e) {
    if (pos) *pos = e.position();
    if (token) *token = e.token();
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("element symbols, names and lookup", "[elements]") {
  CHECK(element_z("H") == 1);
  CHECK(element_z("Fe") == 26);
  CHECK(element_z("Og") == 118);
  CHECK(element_z("Xx") == 0);
  CHECK(element_z("fe") == 0);
  CHECK(element_z("E") == 0);
  CHECK(element_z("") == 0);
  CHECK(element_z("Fee") == 0);
  CHECK(matopt::element_symbol(74) == "W");
  CHECK(matopt::element_name(26) == "Iron");
  CHECK(matopt::element_name(118) == "Oganesson");
  CHECK_THROWS_AS(matopt::element_symbol(0), matopt::InvalidArgument);
  CHECK_THROWS_AS(matopt::element_name(119), matopt::InvalidArgument);
  for (int z = 1; z <= matopt::kMaxZ; ++z) CHECK(element_z(matopt::element_symbol(z)) == z);
}

TEST_CASE("element table matches the magpie22 reference CSV, imputation included", "[elements]") {
  const auto table = matopt::ElementTable::load(MATOPT_TEST_DATA_DIR);
  // List tables are skipped, scalar ones kept.
  const auto& names = table.property_names();
  CHECK(std::find(names.begin(), names.end(), "OxidationStates") == names.end());
  CHECK(std::find(names.begin(), names.end(), "IonizationEnergies") == names.end());
  CHECK(names.size() == 63);
  CHECK_THROWS_AS(table.property_index("Nonsense"), matopt::InvalidArgument);

  std::ifstream in(std::string(MATOPT_TEST_DATA_DIR) + "/elements/magpie22_by_element.csv");
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  for (std::size_t s = 0, e; s <= line.size(); s = e + 1) {
    e = line.find(',', s);
    if (e == std::string::npos) e = line.size();
    header.push_back(line.substr(s, e - s));
  }
  int rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    for (std::size_t s = 0, e; s <= line.size(); s = e + 1) {
      e = line.find(',', s);
      if (e == std::string::npos) e = line.size();
      cells.push_back(line.substr(s, e - s));
    }
    REQUIRE(cells.size() == header.size());
    const int z = std::stoi(cells[0]);
    if (z > 0) CHECK(matopt::element_symbol(z) == cells[1]);
    for (std::size_t k = 2; k < header.size(); ++k) {
      const int p = table.property_index(header[k]);
      const double got = z == 0 ? table.impute_value(p) : table.value(p, z);
      INFO("Z=" << z << " property " << header[k]);
      if (cells[k].empty()) CHECK(std::isnan(got));
      else CHECK(got == Approx(std::stod(cells[k])).epsilon(1e-12));
    }
    ++rows;
  }
  CHECK(rows == 119);  // 118 elements + the IMPUTE_MEAN row
  // Lines past the end of a table (files stop at Z=112) are missing.
  const int w = table.property_index("AtomicWeight");
  CHECK(table.value(w, 26) == 55.845);
  CHECK(std::isnan(table.value(w, 118)));
  CHECK(std::isnan(table.column(w)[0]));
}

TEST_CASE("element table tolerates CRLF, blanks, text and short files", "[elements]") {
  const auto dir = std::filesystem::temp_directory_path() / ("matopt_elem_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "elements" / "magpie");
  {
    std::ofstream(dir / "elements/magpie/A.table", std::ios::binary) << " 1.5 \r\nMissing\r\n\r\n4\r\n";
    std::ofstream(dir / "elements/magpie/B.table", std::ios::binary) << "1 2\n3\n";  // a list table: skipped
  }
  const auto t = matopt::ElementTable::load(dir);
  REQUIRE(t.property_names() == std::vector<std::string>{"A"});
  CHECK(t.value(0, 1) == 1.5);
  CHECK(std::isnan(t.value(0, 2)));
  CHECK(std::isnan(t.value(0, 3)));
  CHECK(t.value(0, 4) == 4.0);
  CHECK(std::isnan(t.value(0, 5)));
  CHECK(t.impute_value(0) == Approx(2.75).epsilon(1e-15));
  std::filesystem::remove_all(dir);
  CHECK_THROWS_AS(matopt::ElementTable::load(dir), matopt::IOError);
}

TEST_CASE("data_dir finds the source tree's data", "[elements]") {
  const auto d = matopt::data_dir();
  CHECK(std::filesystem::exists(d / "elements" / "magpie" / "Number.table"));
}

TEST_CASE("tricky formulas parse to hand-computed fractions", "[composition]") {
  struct Case {
    const char* formula;
    std::map<std::string, double> amounts;
  };
  const std::vector<Case> cases = {
      {"Fe2O3", {{"Fe", 2}, {"O", 3}}},
      {"Fe0.7Ni0.3", {{"Fe", 0.7}, {"Ni", 0.3}}},
      {"Ca(OH)2", {{"Ca", 1}, {"O", 2}, {"H", 2}}},
      {"Mg3[Fe(CN)6]2", {{"Mg", 3}, {"Fe", 2}, {"C", 12}, {"N", 12}}},
      {"K4[Fe(CN)6]", {{"K", 4}, {"Fe", 1}, {"C", 6}, {"N", 6}}},
      {"CuSO4\u00b75H2O", {{"Cu", 1}, {"S", 1}, {"O", 9}, {"H", 10}}},
      {"CuSO4.5H2O", {{"Cu", 1}, {"S", 1}, {"O", 9}, {"H", 10}}},
      {"CuSO4*5H2O", {{"Cu", 1}, {"S", 1}, {"O", 9}, {"H", 10}}},
      {"CuSO4 \u00b7 5 H2O", {{"Cu", 1}, {"S", 1}, {"O", 9}, {"H", 10}}},
      {"Na2CO3\u00b710H2O", {{"Na", 2}, {"C", 1}, {"O", 13}, {"H", 20}}},
      {"Ca(OH)2.2H2O", {{"Ca", 1}, {"O", 4}, {"H", 6}}},
      {"H2O.NH3", {{"H", 5}, {"O", 1}, {"N", 1}}},
      {"Pt1 C1", {{"Pt", 1}, {"C", 1}}},
      {"  Fe2 O3  ", {{"Fe", 2}, {"O", 3}}},
      {"CH3COOH", {{"C", 2}, {"H", 4}, {"O", 2}}},
      {"FeFe", {{"Fe", 1}}},
      {"(NH4)2SO4", {{"N", 2}, {"H", 8}, {"S", 1}, {"O", 4}}},
      {"Al2(SO4)3", {{"Al", 2}, {"S", 3}, {"O", 12}}},
      {"{[(Fe)2]3}2Ni", {{"Fe", 12}, {"Ni", 1}}},
      {"C1e-3Fe", {{"C", 1e-3}, {"Fe", 1}}},
      {"Fe1E-2Ni", {{"Fe", 1e-2}, {"Ni", 1}}},
      {"Fe2.5e+1Ni75", {{"Fe", 25}, {"Ni", 75}}},
      {"Fe1Er1", {{"Fe", 1}, {"Er", 1}}},
      {"Fe0.620C0.000953", {{"Fe", 0.620}, {"C", 0.000953}}},
      {"Bi2Te1.5Se1.5", {{"Bi", 2}, {"Te", 1.5}, {"Se", 1.5}}},  // decimals, not an adduct
      {"La5Cu6.33S7O4", {{"La", 5}, {"Cu", 6.33}, {"S", 7}, {"O", 4}}},
      {"Ge40Te5.3I8", {{"Ge", 40}, {"Te", 5.3}, {"I", 8}}},
      {"(Fe0.5Ni0.5)0.8Cr0.2", {{"Fe", 0.4}, {"Ni", 0.4}, {"Cr", 0.2}}},
      {"{\"Fe\":0.7,\"Ni\":0.3}", {{"Fe", 0.7}, {"Ni", 0.3}}},
      {"{ 'Fe' : 3 , 'O' : 4 }", {{"Fe", 3}, {"O", 4}}},
      {"{\"Fe\": 1, \"Fe\": 1, \"O\": 2}", {{"Fe", 2}, {"O", 2}}},
  };
  for (const auto& c : cases) {
    INFO("formula: " << c.formula);
    check_fractions(Composition::parse(c.formula), c.amounts);
  }
}

TEST_CASE("alloy percent notation", "[composition]") {
  matopt::FormulaOptions opt;
  opt.alloy_percent = true;
  opt.weight_percent = false;
  check_fractions(Composition::parse("Fe-18Cr-8Ni", opt), {{"Fe", 74}, {"Cr", 18}, {"Ni", 8}});
  check_fractions(Composition::parse("Ti-6Al-4V", opt), {{"Ti", 90}, {"Al", 6}, {"V", 4}});
  opt.weight_percent = true;
  // Weight % to moles with the Magpie atomic weights: Fe 55.845, Cr 51.9961, Ni 58.6934.
  check_fractions(Composition::parse("Fe-18Cr-8Ni", opt),
                  {{"Fe", 74 / 55.845}, {"Cr", 18 / 51.9961}, {"Ni", 8 / 58.6934}});
  // Without alloy mode the same text is rejected at the '-'.
  std::size_t pos = 99;
  CHECK_THAT(error_of("Fe-18Cr-8Ni", &pos), Catch::Contains("unexpected character") && Catch::Contains("alloy"));
  CHECK(pos == 2);
  CHECK_THAT(error_of("Fe-60Cr-50Ni", nullptr, nullptr, opt), Catch::Contains("nothing for the balance"));
  CHECK_THAT(error_of("Fe-18Qq", nullptr, nullptr, opt), Catch::Contains("unknown element symbol"));
  CHECK_THAT(error_of("Fe-Cr", nullptr, nullptr, opt), Catch::Contains("expected a percentage"));
}

TEST_CASE("rejections name position, token and reason", "[composition]") {
  struct Bad {
    const char* formula;
    std::size_t pos;
    const char* token;
    const char* reason;
  };
  const std::vector<Bad> bad = {
      {"", 0, "", "empty formula"},
      {"   ", 0, "", "empty formula"},
      {"Xx", 0, "Xx", "unknown element symbol"},
      {"Fe2Q", 3, "Q", "unknown element symbol"},
      {"Fex2", 0, "Fex", "unknown element symbol"},
      {"Fe0", 2, "0", "amount must be positive"},
      {"Fe0.0Ni", 2, "0.0", "amount must be positive"},
      {"Fe(Ni)0", 6, "0", "amount must be positive"},
      {"{\"Fe\":NaN}", 6, "NaN", "not a number"},
      {"{\"Fe\":-1}", 6, "-1", "amount must be positive"},
      {"{\"Fe\":0.5,\"Zz\":1}", 11, "Zz", "unknown element symbol"},
      {"{\"Fe\":abc}", 6, "abc", "expected a number"},
      {"Fe1e999", 2, "1e999", "out of range"},
      {"Fe2(O3", 3, "(", "never closed"},
      {"Fe2)O3", 3, ")", "without a matching opening"},
      {"Fe(O]", 4, "]", "mismatch"},
      {"()", 0, "()", "empty brackets"},
      {"Fe2O3#", 5, "#", "unexpected character"},
      {"Fe2O3x", 5, "x", "unexpected character"},
      {"Fe2O3 junk", 6, "j", "unexpected character"},
      {"2H2O", 0, "2", "amount without an element"},
      {"CuSO4\u00b7", 5, "\u00b7", "without a formula after"},
      {"\u00b7H2O", 0, "\u00b7", "without a formula before"},
      {"Fe2O3.", 5, ".", "without a formula after"},
      {"Fe-2", 2, "-", "unexpected character"},
  };
  for (const auto& b : bad) {
    INFO("formula: '" << b.formula << "'");
    std::size_t pos = 12345;
    std::string token;
    const std::string msg = error_of(b.formula, &pos, &token);
    REQUIRE(!msg.empty());
    CHECK(pos == b.pos);
    CHECK(token == b.token);
    CHECK_THAT(msg, Catch::Contains(b.reason));
    CHECK_THAT(msg, Catch::Contains("position " + std::to_string(b.pos + 1)));
    CHECK_THAT(msg, Catch::Contains(std::string("'") + b.formula + "'"));
  }
  // FormulaError is a DataError, so the CLI maps it to exit code 2.
  CHECK_THROWS_AS(Composition::parse("Qq"), matopt::DataError);
}

TEST_CASE("formula output, reduced formula and equality", "[composition]") {
  const auto c = Composition::parse("Ni0.3Fe0.7");
  CHECK(c.formula() == "Fe0.7Ni0.3");
  CHECK(c.elements()[0] == 26);
  CHECK(Composition::parse("Fe4O6").reduced_formula() == "Fe2O3");
  CHECK(Composition::parse("O3Fe2").reduced_formula() == "Fe2O3");
  CHECK(Composition::parse("Cl1Na1").reduced_formula() == "NaCl");
  CHECK(Composition::parse("OH2").reduced_formula() == "H2O");
  CHECK(Composition::parse("Fe0.5Ni0.25Cr0.25").reduced_formula() == "CrFe2Ni");
  CHECK(Composition::parse("Fe0.620C0.000953").reduced_formula() == "Fe0.998465C0.00153474");
  CHECK(Composition::parse("Fe0.7Ni0.3").almost_equal(Composition::parse("Ni3Fe7")));
  CHECK(Composition::parse("Fe2O3") == Composition::parse("Fe4O6"));
  CHECK_FALSE(Composition::parse("Fe0.7Ni0.3").almost_equal(Composition::parse("Fe0.7Co0.3")));
  CHECK_FALSE(Composition::parse("Fe0.7Ni0.3").almost_equal(Composition::parse("Fe0.71Ni0.29"), 1e-3));
  CHECK(Composition::parse("Fe0.7Ni0.3").almost_equal(Composition::parse("Fe0.71Ni0.29"), 0.011));

  const std::pair<int, double> amounts[] = {{28, 1.0}, {26, 3.0}, {27, 0.0}, {26, 1.0}};
  const auto f = Composition::from_amounts(amounts);
  REQUIRE(f.size() == 2);
  CHECK(f.fraction(26) == 0.8);
  CHECK(f.fraction(28) == 0.2);
  CHECK(f.fraction(27) == 0.0);
  const std::pair<int, double> neg[] = {{26, -1.0}};
  CHECK_THROWS_AS(Composition::from_amounts(neg), matopt::DataError);
  const std::pair<int, double> badz[] = {{0, 1.0}};
  CHECK_THROWS_AS(Composition::from_amounts(badz), matopt::DataError);
  CHECK_THROWS_AS(Composition::from_amounts({}), matopt::DataError);
}

TEST_CASE("parse_into reuses the output and stays clean after errors", "[composition]") {
  Composition c;
  Composition::parse_into("Fe2O3", c);
  CHECK(c.size() == 2);
  CHECK_THROWS_AS(Composition::parse_into("Fe2Q", c), FormulaError);
  Composition::parse_into("Ni", c);
  REQUIRE(c.size() == 1);
  CHECK(c.fraction(28) == 1.0);
  Composition::parse_into("FeO", c);  // no leftovers from the failed parse
  CHECK(c.fraction(26) == 0.5);
}

TEST_CASE("every matbench formula round-trips through formula()", "[composition]") {
  std::size_t total = 0;
  for (const char* file : {"matbench_steels.csv", "matbench_expt_gap.csv", "matbench_expt_is_metal.csv",
                           "matbench_mp_e_form.csv"}) {
    const auto formulas = first_column(file);
    Composition a, b;
    std::size_t bad = 0;
    for (const auto& f : formulas) {
      Composition::parse_into(f, a);
      Composition::parse_into(a.formula(), b);
      if (!a.almost_equal(b, 1e-12)) {
        if (++bad < 5) FAIL_CHECK(file << ": " << f << " -> " << a.formula());
      }
    }
    INFO(file);
    CHECK(bad == 0);
    total += formulas.size();
  }
  CHECK(total == 312 + 4604 + 4921 + 132752);
}

TEST_CASE("matbench formulas without brackets match a naive symbol/number split", "[composition]") {
  // Independent check that no decimal was misread as an adduct separator: split "Sym[number]" pairs.
  for (const char* file : {"matbench_expt_gap.csv", "matbench_expt_is_metal.csv", "matbench_steels.csv"}) {
    for (const auto& f : first_column(file)) {
      if (f.find_first_of("()[]") != std::string::npos) continue;
      std::map<std::string, double> amounts;
      std::size_t i = 0;
      while (i < f.size()) {
        std::size_t j = i + 1;
        while (j < f.size() && std::islower(static_cast<unsigned char>(f[j]))) ++j;
        std::size_t k = j;
        while (k < f.size() && (std::isdigit(static_cast<unsigned char>(f[k])) || f[k] == '.')) ++k;
        amounts[f.substr(i, j - i)] += k > j ? std::stod(f.substr(j, k - j)) : 1.0;
        i = k;
      }
      INFO(file << ": " << f);
      check_fractions(Composition::parse(f), amounts, 1e-12);
    }
  }
}
