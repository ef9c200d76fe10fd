// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "matopt/core/composition.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/featurize/featurizer.hpp"

using namespace matopt;

namespace {

bool close_rel(double a, double b, double rel = 1e-12) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b));
}

std::vector<double> run(const Featurizer& f, const std::string& formula) {
  std::vector<double> out(f.size(), -12345.0);
  f.featurize(Composition::parse(formula), out.data());
  return out;
}

struct Expected {
  const char* formula;
  bool impute;
  std::vector<double> values;
};

// Full 132-value vectors computed by a plain Python script from data/elements/magpie22_by_element.csv
// (fractions = amounts / total; mean, mean |v - mean|, min, max, mode with numpy isclose ties).
const double kNaN = std::nan("");
const std::vector<Expected> kExpected = {
#include "featurize/magpie_expected.inc"
};

/// Deliberately simple reference: reads the CSV export of the tables (not the .table files the
/// library loads) and computes every statistic with textbook loops.
struct SlowMagpie {
  std::vector<std::string> props;
  std::map<int, std::vector<double>> rows;  // Z -> 22 values (NaN if blank)
  std::vector<double> impute;

  SlowMagpie() {
    std::ifstream in(std::string(MATOPT_TEST_DATA_DIR) + "/elements/magpie22_by_element.csv");
    REQUIRE(in);
    std::string line;
    std::getline(in, line);
    auto split = [](const std::string& s) {
      std::vector<std::string> cells;
      std::stringstream ss(s);
      std::string c;
      while (std::getline(ss, c, ',')) cells.push_back(c);
      if (!s.empty() && s.back() == ',') cells.emplace_back();
      return cells;
    };
    auto head = split(line);
    props.assign(head.begin() + 2, head.end());
    while (std::getline(in, line)) {
      auto cells = split(line);
      std::vector<double> v;
      for (std::size_t k = 2; k < cells.size(); ++k) v.push_back(cells[k].empty() ? std::nan("") : std::stod(cells[k]));
      v.resize(props.size(), std::nan(""));
      if (cells[1] == "IMPUTE_MEAN")
        impute = v;
      else
        rows[std::stoi(cells[0])] = v;
    }
  }

  std::vector<double> features(const Composition& c) const {
    std::vector<double> out;
    auto z = c.elements();
    auto x = c.fractions();
    for (std::size_t p = 0; p < props.size(); ++p) {
      std::vector<double> v;
      for (auto e : z) {
        double val = rows.at(e)[p];
        v.push_back(std::isnan(val) ? impute[p] : val);
      }
      double mn = *std::min_element(v.begin(), v.end());
      double mx = *std::max_element(v.begin(), v.end());
      double w = 0, m = 0;
      for (std::size_t i = 0; i < v.size(); ++i) {
        w += x[i];
        m += x[i] * v[i];
      }
      m /= w;
      double dev = 0;
      for (std::size_t i = 0; i < v.size(); ++i) dev += x[i] * std::fabs(v[i] - m);
      dev /= w;
      double xm = *std::max_element(x.begin(), x.end());
      double mode = INFINITY;
      for (std::size_t i = 0; i < v.size(); ++i)
        if (std::fabs(x[i] - xm) <= 1e-8 + 1e-5 * xm) mode = std::min(mode, v[i]);
      for (double s : {mn, mx, mx - mn, m, dev, mode}) out.push_back(s);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("magpie labels follow the preset, property-major", "[magpie]") {
  auto f = make_featurizer("magpie");
  REQUIRE(f->size() == 132);
  auto labels = f->labels();
  REQUIRE(labels.size() == 132);
  CHECK(labels[0] == "MagpieData minimum Number");
  CHECK(labels[5] == "MagpieData mode Number");
  CHECK(labels[6] == "MagpieData minimum MendeleevNumber");
  CHECK(labels[4 * 6 + 4] == "MagpieData avg_dev Column");
  CHECK(labels[131] == "MagpieData mode SpaceGroupNumber");
}

TEST_CASE("magpie of Fe2O3 by hand", "[magpie]") {
  auto f = make_featurizer("magpie");
  auto v = run(*f, "Fe2O3");
  // Number: Fe 26 (x = 0.4), O 8 (x = 0.6). mean = 0.4*26 + 0.6*8 = 15.2;
  // avg_dev = 0.4*|26-15.2| + 0.6*|8-15.2| = 4.32 + 4.32 = 8.64; mode = O (larger fraction) = 8.
  CHECK(close_rel(v[0], 8.0));
  CHECK(close_rel(v[1], 26.0));
  CHECK(close_rel(v[2], 18.0));
  CHECK(close_rel(v[3], 15.2));
  CHECK(close_rel(v[4], 8.64));
  CHECK(close_rel(v[5], 8.0));
  // Electronegativity (property 7): Fe 1.83, O 3.44 -> mean 0.4*1.83 + 0.6*3.44 = 2.796,
  // avg_dev = 2 * 0.4 * 0.6 * (3.44 - 1.83) = 0.7728.
  CHECK(close_rel(v[7 * 6 + 3], 2.796));
  CHECK(close_rel(v[7 * 6 + 4], 0.7728));
  CHECK(close_rel(v[7 * 6 + 5], 3.44));
}

TEST_CASE("magpie of NaCl: equal fractions tie, mode is the smaller value", "[magpie]") {
  auto f = make_featurizer("magpie");
  auto v = run(*f, "NaCl");
  // Number: Na 11, Cl 17 tied at x = 0.5 -> mode 11, mean 14, avg_dev 3.
  CHECK(close_rel(v[3], 14.0));
  CHECK(close_rel(v[4], 3.0));
  CHECK(close_rel(v[5], 11.0));
  // Row: both 3 -> range 0, avg_dev 0.
  CHECK(v[5 * 6 + 2] == 0.0);
  CHECK(v[5 * 6 + 4] == 0.0);
}

TEST_CASE("magpie matches the tabulated reference vectors", "[magpie]") {
  for (const auto& e : kExpected) {
    FeaturizerOptions o;
    o.impute_missing = e.impute;
    auto f = make_featurizer("magpie", o);
    auto v = run(*f, e.formula);
    REQUIRE(e.values.size() == 132);
    for (std::size_t k = 0; k < 132; ++k) {
      INFO(e.formula << (e.impute ? "" : " (no imputation)") << " feature " << k << " " << f->labels()[k]);
      CHECK(close_rel(v[k], e.values[k]));
    }
  }
}

TEST_CASE("magpie: three elements with a two-way tie for the largest fraction", "[magpie]") {
  auto v = run(*make_featurizer("magpie"), "Al2Cu2Mg");
  // Number: Mg 12 (0.2), Al 13 (0.4), Cu 29 (0.4): mode = min(13, 29) = 13, not Mg's 12.
  CHECK(close_rel(v[5], 13.0));
  CHECK(close_rel(v[3], 0.2 * 12 + 0.4 * 13 + 0.4 * 29));
}

TEST_CASE("magpie: missing values imputed by default, NaN when asked", "[magpie]") {
  // He has no MeltingT (property 3) and no Electronegativity (property 7).
  auto imputed = run(*make_featurizer("magpie"), "HeFe3");
  const double melt_mean = 1296.471485148515;  // IMPUTE_MEAN row of MeltingT
  CHECK(close_rel(imputed[3 * 6 + 0], melt_mean));
  CHECK(close_rel(imputed[3 * 6 + 3], 0.25 * melt_mean + 0.75 * 1811.0));
  FeaturizerOptions o;
  o.impute_missing = false;
  auto raw = run(*make_featurizer("magpie", o), "HeFe3");
  for (int s = 0; s < 5; ++s) CHECK(std::isnan(raw[3 * 6 + s]));
  CHECK(close_rel(raw[3 * 6 + 5], 1811.0));  // mode is Fe's own value; He is not tied
  CHECK(close_rel(raw[0], 2.0));             // Number is present for both
  auto he = run(*make_featurizer("magpie", o), "He");
  CHECK(std::isnan(he[3 * 6 + 5]));
}

TEST_CASE("magpie of every matbench_expt_gap row equals a slow reference", "[magpie]") {
  SlowMagpie ref;
  REQUIRE(ref.props.size() == 22);
  auto f = make_featurizer("magpie");
  std::ifstream in(std::string(MATOPT_TEST_DATA_DIR) + "/matbench/matbench_expt_gap.csv");
  REQUIRE(in);
  std::string line;
  std::getline(in, line);
  std::vector<double> out(132);
  std::size_t rows = 0, mismatches = 0;
  while (std::getline(in, line)) {
    std::string formula = line.substr(0, line.rfind(','));
    Composition c = Composition::parse(formula);
    f->featurize(c, out.data());
    auto expect = ref.features(c);
    for (std::size_t k = 0; k < 132; ++k)
      if (!close_rel(out[k], expect[k])) {
        if (++mismatches < 5) FAIL_CHECK(formula << " feature " << k << ": " << out[k] << " vs " << expect[k]);
      }
    ++rows;
  }
  CHECK(rows == 4604);
  CHECK(mismatches == 0);
}

TEST_CASE("stoichiometry p-norms by hand", "[stoichiometry]") {
  auto f = make_featurizer("stoichiometry");
  CHECK(f->labels() == std::vector<std::string>{"0-norm", "2-norm", "3-norm", "5-norm", "7-norm", "10-norm"});
  auto v = run(*f, "Fe2O3");  // x = 0.4, 0.6
  CHECK(v[0] == 2.0);
  CHECK(close_rel(v[1], std::sqrt(0.52)));
  CHECK(close_rel(v[2], std::cbrt(0.28)));
  CHECK(close_rel(v[3], std::pow(0.01024 + 0.07776, 0.2)));
  auto nacl = run(*f, "NaCl");  // x = 0.5, 0.5: p-norm = 2^(1/p) / 2
  for (int k = 0; k < 5; ++k) {
    const double p = std::vector<double>{2, 3, 5, 7, 10}[k];
    CHECK(close_rel(nacl[k + 1], std::pow(2.0, 1.0 / p) / 2.0));
  }
  auto fe = run(*f, "Fe");
  for (int k = 1; k < 6; ++k) CHECK(close_rel(fe[k], 1.0));
}

TEST_CASE("valence_orbital by hand", "[valence_orbital]") {
  auto f = make_featurizer("valence_orbital");
  auto labels = f->labels();
  CHECK(labels[0] == "avg s valence electrons");
  CHECK(labels[7] == "frac f valence electrons");
  // Fe: s2 d6 (8 valence), O: s2 p4 (6). avg s = 2, p = 0.6*4, d = 0.4*6; total = 0.4*8 + 0.6*6 = 6.8.
  auto v = run(*f, "Fe2O3");
  CHECK(close_rel(v[0], 2.0));
  CHECK(close_rel(v[1], 2.4));
  CHECK(close_rel(v[2], 2.4));
  CHECK(v[3] == 0.0);
  CHECK(close_rel(v[4], 5.0 / 17.0));
  CHECK(close_rel(v[5], 6.0 / 17.0));
  CHECK(close_rel(v[6], 6.0 / 17.0));
  CHECK(v[7] == 0.0);
  // NaCl: Na s1, Cl s2 p5 -> avg s 1.5, p 2.5; total 4 -> frac 0.375, 0.625.
  auto n = run(*f, "NaCl");
  CHECK(close_rel(n[0], 1.5));
  CHECK(close_rel(n[1], 2.5));
  CHECK(close_rel(n[4], 0.375));
  CHECK(close_rel(n[5], 0.625));
}

TEST_CASE("fractions: fitted element list, unseen element is an error naming it and the row", "[fractions]") {
  auto f = make_featurizer("fractions");
  REQUIRE(f->needs_fit());
  std::vector<Composition> train = {Composition::parse("Fe2O3"), Composition::parse("NiO")};
  f->fit(train);
  CHECK(f->labels() == std::vector<std::string>{"O", "Fe", "Ni"});
  auto v = run(*f, "Fe3Ni");
  CHECK(v == std::vector<double>{0.0, 0.75, 0.25});
  std::vector<double> out(3);
  try {
    f->featurize(Composition::parse("CuO"), out.data(), 7);
    FAIL("expected DataError");
  } catch (const DataError& e) {
    std::string msg = e.what();
    CHECK(msg.find("Cu") != std::string::npos);
    CHECK(msg.find("row 7") != std::string::npos);
  }
  FeaturizerOptions o;
  o.elements = {8, 26};
  auto given = make_featurizer("fractions", o);
  CHECK_FALSE(given->needs_fit());
  CHECK(run(*given, "FeO") == std::vector<double>{0.5, 0.5});
  CHECK(fitted_fraction_elements(*given) == std::vector<int>{8, 26});
}

TEST_CASE("composite specs concatenate; unknown names list the valid ones", "[registry]") {
  auto f = make_featurizer("magpie+stoichiometry+valence_orbital");
  CHECK(f->size() == 132 + 6 + 8);
  CHECK(f->name() == "magpie+stoichiometry+valence_orbital");
  auto v = run(*f, "Fe2O3");
  CHECK(close_rel(v[3], 15.2));
  CHECK(close_rel(v[133], std::sqrt(0.52)));
  CHECK(close_rel(v[138 + 4], 5.0 / 17.0));
  try {
    make_featurizer("magpie+stoich");
    FAIL("expected InvalidArgument");
  } catch (const InvalidArgument& e) {
    std::string msg = e.what();
    CHECK(msg.find("stoich'") != std::string::npos);
    CHECK(msg.find("valence_orbital") != std::string::npos);
  }
  CHECK_THROWS_AS(make_featurizer("magpie+"), InvalidArgument);
  CHECK_THROWS_AS(make_featurizer("magpie+magpie"), InvalidArgument);
}

TEST_CASE("batch featurize: same output for any thread count; bad formula names its row", "[batch]") {
  auto f = make_featurizer("magpie+stoichiometry");
  std::vector<std::string> storage;
  const char* base[] = {"Fe2O3", "NaCl", "Al2Cu2Mg", "CuSO4·5H2O", "Mg3[Fe(CN)6]2", "Fe0.7Ni0.3"};
  for (int i = 0; i < 5000; ++i) storage.emplace_back(base[i % 6]);
  std::vector<std::string_view> views(storage.begin(), storage.end());
  std::vector<double> one(views.size() * f->size()), many(views.size() * f->size());
  featurize_formulas(*f, views, one.data(), 1);
  featurize_formulas(*f, views, many.data(), 4);
  CHECK(one == many);
  auto single = run(*f, "CuSO4·5H2O");
  CHECK(std::equal(single.begin(), single.end(), one.begin() + 3 * f->size()));

  storage[4321] = "Xx2O";
  storage[4400] = "Fe(";
  views.assign(storage.begin(), storage.end());
  try {
    featurize_formulas(*f, views, many.data(), 4, 2, "formula");
    FAIL("expected DataError");
  } catch (const DataError& e) {
    std::string msg = e.what();
    CHECK(msg.find("row 4323") != std::string::npos);
    CHECK(msg.find("formula") != std::string::npos);
    CHECK(msg.find("Xx2O") != std::string::npos);
  }
}

TEST_CASE("featurize_compositions matches per-row featurize", "[batch]") {
  auto f = make_featurizer("magpie+valence_orbital");
  std::vector<Composition> comps;
  for (const char* s : {"Fe2O3", "NaCl", "HeFe3", "SiO2"}) comps.push_back(Composition::parse(s));
  Eigen::MatrixXd X = featurize_compositions(*f, comps, 2);
  REQUIRE(X.rows() == 4);
  REQUIRE(X.cols() == 140);
  for (int i = 0; i < 4; ++i) {
    std::vector<double> r(140);
    f->featurize(comps[i], r.data());
    for (int k = 0; k < 140; ++k) CHECK(X(i, k) == r[k]);
  }
  std::vector<Composition> bad = {Composition::parse("Fe"), Composition()};
  CHECK_THROWS_AS(featurize_compositions(*f, bad, 1), DataError);
}

TEST_CASE("element_slots: largest fraction first, ties by Z, empty slots zero", "[element_slots]") {
  const auto f = make_featurizer("element_slots");
  REQUIRE(f->size() == 2 * kElementSlots);
  const auto labels = f->labels();
  CHECK(labels.front() == "slot1_Z");
  CHECK(labels[kElementSlots] == "slot1_fraction");
  CHECK(labels.back() == "slot" + std::to_string(kElementSlots) + "_fraction");

  const auto fe2o3 = run(*f, "Fe2O3");
  CHECK(fe2o3[0] == 8.0);   // O, 3/5
  CHECK(fe2o3[1] == 26.0);  // Fe, 2/5
  CHECK(fe2o3[kElementSlots] == Approx(0.6).epsilon(1e-15));
  CHECK(fe2o3[kElementSlots + 1] == Approx(0.4).epsilon(1e-15));
  for (std::size_t k = 2; k < kElementSlots; ++k) {
    CHECK(fe2o3[k] == 0.0);
    CHECK(fe2o3[kElementSlots + k] == 0.0);
  }
  // NaCl: equal fractions, so the smaller Z (Na 11) comes before Cl (17), whatever the formula order.
  const auto clna = run(*f, "ClNa");
  CHECK(clna[0] == 11.0);
  CHECK(clna[1] == 17.0);
  CHECK(clna[kElementSlots] == 0.5);
}

TEST_CASE("element_slots refuses a composition with more elements than slots", "[element_slots]") {
  const auto f = make_featurizer("element_slots");
  std::string formula;
  for (int z = 1; z <= static_cast<int>(kElementSlots) + 1; ++z) formula += element_symbol(z);
  std::vector<double> out(f->size());
  try {
    f->featurize(Composition::parse(formula), out.data(), 7);
    FAIL("expected a DataError");
  } catch (const DataError& e) {
    const std::string what = e.what();
    CHECK(what.find("row 7") != std::string::npos);
    CHECK(what.find("17 elements") != std::string::npos);
  }
  // Sixteen elements still fit.
  formula.clear();
  for (int z = 1; z <= static_cast<int>(kElementSlots); ++z) formula += element_symbol(z);
  CHECK_NOTHROW(f->featurize(Composition::parse(formula), out.data()));
  CHECK(out[kElementSlots - 1] != 0.0);
}
