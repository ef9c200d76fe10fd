// SPDX-License-Identifier: MIT
// The `alloy` featurizer against values worked out by hand from the tables in data/elements/:
// magpie MiracleRadius / MeltingT / Electronegativity / NValence, the Takeuchi–Inoue pair enthalpies
// (miedema/MiedemaLiquidDeltaHf.tsv) and the Miedema parameters (miedema/Miedema.csv).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "matopt/core/composition.hpp"
#include "matopt/core/error.hpp"
#include "matopt/featurize/alloy.hpp"
#include "matopt/featurize/featurizer.hpp"

using namespace matopt;

namespace {

constexpr double R = 8.314462618;

std::vector<double> alloy(const std::string& formula, bool strict = false) {
  FeaturizerOptions o;
  o.strict_missing = strict;
  auto f = make_featurizer("alloy", o);
  std::vector<double> out(f->size());
  f->featurize(Composition::parse(formula), out.data(), 7);
  return out;
}

double sq(double v) { return v * v; }

enum { kDelta, kDH, kDS, kOmega, kVEC, kDChi, kTm, kTmStd, kInter, kSS, kAmor };

}  // namespace

TEST_CASE("alloy: registered once, 11 labelled features", "[alloy]") {
  auto f = make_featurizer("alloy");
  CHECK(f->name() == "alloy");
  REQUIRE(f->size() == 11);
  CHECK(f->labels() == alloy_descriptor_names());
  CHECK(f->labels().front() == "delta");
  CHECK(alloy_descriptor_index("VEC") == kVEC);
  CHECK(alloy_descriptor_index("omega") == kOmega);
  CHECK(alloy_descriptor_index("vec") == -1);
  CHECK(make_featurizer("stoichiometry+alloy")->size() == 17);
  const auto names = featurizer_names();
  CHECK(std::count(names.begin(), names.end(), "alloy") == 1);
}

TEST_CASE("alloy: equimolar CoCrFeNi by hand", "[alloy]") {
  const auto v = alloy("CoCrFeNi");
  // MiracleRadius (pm): Co 125, Cr 130, Fe 125, Ni 126 -> r̄ = 506 / 4 = 126.5
  const double rb = (125.0 + 130 + 125 + 126) / 4;
  CHECK(v[kDelta] == Approx(std::sqrt(0.25 * (2 * sq(1 - 125 / rb) + sq(1 - 130 / rb) + sq(1 - 126 / rb)))).epsilon(1e-12));
  CHECK(v[kDelta] == Approx(0.016296860180307).epsilon(1e-12));
  // ΔH_ij (kJ/mol): CoCr -4, CoFe -1, CoNi 0, CrFe -1, CrNi -7, FeNi -2 -> 4 · (1/16) · (-15) = -3.75
  CHECK(v[kDH] == Approx(-3.75).epsilon(1e-14));
  CHECK(v[kDS] == Approx(R * std::log(4.0)).epsilon(1e-14));  // 11.5263 J/(mol K)
  // MeltingT (K): Co 1768, Cr 2180, Fe 1811, Ni 1728 -> 7487 / 4 = 1871.75
  CHECK(v[kTm] == Approx(1871.75).epsilon(1e-14));
  CHECK(v[kTmStd] == Approx(std::sqrt(0.25 * (sq(1768 - 1871.75) + sq(2180 - 1871.75) + sq(1811 - 1871.75) +
                                               sq(1728 - 1871.75))))
                         .epsilon(1e-12));
  // Ω = T_m ΔS_mix / |ΔH_mix| = 1871.75 · 11.5263 / 3750 = 5.7532
  CHECK(v[kOmega] == Approx(1871.75 * R * std::log(4.0) / 3750.0).epsilon(1e-12));
  CHECK(v[kVEC] == Approx((9.0 + 6 + 8 + 10) / 4).epsilon(1e-14));  // 8.25
  // Pauling χ: Co 1.88, Cr 1.66, Fe 1.83, Ni 1.91 -> χ̄ = 1.82
  CHECK(v[kDChi] == Approx(std::sqrt(0.25 * (sq(0.06) + sq(0.16) + sq(0.01) + sq(0.09)))).epsilon(1e-12));
  // Miedema (eV/atom): an independent plain-Python transcription of matminer's Miedema featurizer
  // over the same Miedema.csv, summed over the 6 sub-binaries (the worked binary is below).
  CHECK(v[kInter] == Approx(-0.11553797767079824).epsilon(1e-12));
  CHECK(v[kSS] == Approx(-0.15548570275319482).epsilon(1e-12));
  CHECK(v[kAmor] == Approx(-0.03368432736515862).epsilon(1e-12));
}

TEST_CASE("alloy: equimolar CoCrFeMnNi (Cantor) by hand", "[alloy]") {
  const auto v = alloy("CoCrFeMnNi");
  // adds Mn: radius 132, T_m 1519, χ 1.55, VEC 7; r̄ = 638 / 5 = 127.6
  const double rb = 638.0 / 5;
  CHECK(v[kDelta] == Approx(std::sqrt(0.2 * (2 * sq(1 - 125 / rb) + sq(1 - 130 / rb) + sq(1 - 126 / rb) +
                                             sq(1 - 132 / rb))))
                         .epsilon(1e-12));
  // pairs: the 6 above (-15) + CoMn -5, CrMn +2, FeMn 0, MnNi -8 (-11) -> 4 · (1/25) · (-26) = -4.16
  CHECK(v[kDH] == Approx(-4.16).epsilon(1e-14));
  CHECK(v[kDS] == Approx(R * std::log(5.0)).epsilon(1e-14));
  CHECK(v[kTm] == Approx(9006.0 / 5).epsilon(1e-14));  // 1801.2
  CHECK(v[kOmega] == Approx(1801.2 * R * std::log(5.0) / 4160.0).epsilon(1e-12));
  CHECK(v[kVEC] == Approx(40.0 / 5).epsilon(1e-14));  // 8.0
  const double cb = (1.88 + 1.66 + 1.83 + 1.55 + 1.91) / 5;  // 1.766
  CHECK(v[kDChi] == Approx(std::sqrt(0.2 * (sq(1.88 - cb) + sq(1.66 - cb) + sq(1.83 - cb) + sq(1.55 - cb) +
                                            sq(1.91 - cb))))
                        .epsilon(1e-12));
  CHECK(v[kTmStd] == Approx(214.32815960577835).epsilon(1e-12));
  CHECK(v[kInter] == Approx(-0.15980167436505746).epsilon(1e-12));
  CHECK(v[kSS] == Approx(-0.1970666115006307).epsilon(1e-12));
  CHECK(v[kAmor] == Approx(-0.07488576144497482).epsilon(1e-12));
}

TEST_CASE("alloy: equimolar AlCoCrFeNi by hand", "[alloy]") {
  const auto v = alloy("AlCoCrFeNi");
  // adds Al: radius 141, T_m 933.47, χ 1.61, VEC 3; r̄ = 647 / 5 = 129.4
  const double rb = 647.0 / 5;
  CHECK(v[kDelta] == Approx(std::sqrt(0.2 * (2 * sq(1 - 125 / rb) + sq(1 - 130 / rb) + sq(1 - 126 / rb) +
                                             sq(1 - 141 / rb))))
                         .epsilon(1e-12));
  CHECK(v[kDelta] == Approx(0.04703284097280658).epsilon(1e-12));
  // pairs: -15 + AlCo -19, AlCr -10, AlFe -11, AlNi -22 (-62) -> 4 · (1/25) · (-77) = -12.32
  CHECK(v[kDH] == Approx(-12.32).epsilon(1e-14));
  const double tm = (933.47 + 1768 + 2180 + 1811 + 1728) / 5;  // 1684.094
  CHECK(v[kTm] == Approx(tm).epsilon(1e-14));
  CHECK(v[kOmega] == Approx(tm * R * std::log(5.0) / 12320.0).epsilon(1e-12));  // 1.829
  CHECK(v[kVEC] == Approx(36.0 / 5).epsilon(1e-14));  // 7.2
  CHECK(v[kDChi] == Approx(0.12056533498481224).epsilon(1e-12));
  CHECK(v[kInter] == Approx(0.22216930902898385).epsilon(1e-12));
  CHECK(v[kSS] == Approx(0.12407398576503549).epsilon(1e-12));
  CHECK(v[kAmor] == Approx(0.25553217644893766).epsilon(1e-12));
}

TEST_CASE("alloy: Miedema enthalpies of equimolar FeNi worked step by step", "[alloy]") {
  // Miedema.csv: V (cm³), n_ws (d.u.), φ* (V), valence, a, K (GPa), G (GPa), T_m (K), structural stability
  const double VFe = 7.09, nFe = 5.55, pFe = 4.93, KFe = 168.3, GFe = 81.52, TFe = 1809, sFe = 10;
  const double VNi = 6.6, nNi = 5.36, pNi = 5.2, KNi = 186.4, GNi = 75.05, TNi = 1726, sNi = -2;
  const double a = 0.04, x = 0.5;
  // both valences (8, 10) lie in 3..11: P = 14.1, Q = 9.4 P, R' = 0
  const double P = 14.1, Q = 9.4 * P, n1 = std::cbrt(nFe), n2 = std::cbrt(nNi);
  const double eta = 2 * (-P * sq(pFe - pNi) + Q * sq(n1 - n2)) / (1 / n1 + 1 / n2);
  auto chem = [&](double gamma) {
    const double v1 = std::pow(VFe, 2.0 / 3), v2 = std::pow(VNi, 2.0 / 3);
    const double c1 = v1 / (v1 + v2), c2 = v2 / (v1 + v2);  // surface fractions (x cancels at 0.5)
    const double w1 = v1 * (1 + a * c2 * (1 + gamma * sq(c1 * c2)) * (pFe - pNi));
    const double w2 = v2 * (1 + a * c1 * (1 + gamma * sq(c1 * c2)) * (pNi - pFe));
    const double d1 = w1 / (w1 + w2), d2 = w2 / (w1 + w2);  // with the alloyed volumes
    return d2 * (1 + gamma * sq(d1 * d2)) * x * w1 * eta;    // H_trans = 0 for both
  };
  const double inv = 1 / n1 + 1 / n2;
  const double u1 = VFe + 1.5 * std::pow(VFe, 2.0 / 3) / inv * (pFe - pNi) / nFe;
  const double u2 = VNi + 1.5 * std::pow(VNi, 2.0 / 3) / inv * (pNi - pFe) / nNi;
  const double al1 = 1.5 * std::pow(u1, 2.0 / 3) / inv, al2 = 1.5 * std::pow(u2, 2.0 / 3) / inv;
  const double vab0 = VFe + al1 * (pFe - pNi) / nFe, vba0 = VNi + al1 * (pFe - pNi) / nNi;
  const double vab1 = VFe + al2 * (pNi - pFe) / nFe, vba1 = VNi + al2 * (pNi - pFe) / nNi;
  const double hab = 2 * KFe * GNi * sq(vab0 - vba0) / (4 * GNi * vab0 + 3 * KFe * vba0);
  const double hba = 2 * KNi * GFe * sq(vba1 - vab1) / (4 * GFe * vba1 + 3 * KNi * vab1);
  const double elastic = x * x * (x * hab + x * hba);  // 0.28816 kJ/mol
  // mean valence 9: lattice stabilities fcc -9, bcc 8.5, hcp -8 minus (10 - 2) / 2 = 4
  const double stab = x * sFe + x * sNi;
  const double ss = chem(0) + elastic + std::min({-9.0 - stab, 8.5 - stab, -8.0 - stab, 0.0});
  const auto v = alloy("FeNi");
  CHECK(v[kInter] == Approx(chem(8) / 96.4853).epsilon(1e-12));
  CHECK(v[kSS] == Approx(ss / 96.4853).epsilon(1e-12));
  CHECK(v[kAmor] == Approx((chem(5) + 3.5 * (TFe + TNi) / 2 / 1000) / 96.4853).epsilon(1e-12));
  CHECK(chem(8) == Approx(-2.31298514374774).epsilon(1e-12));  // the plain-Python transcription
  CHECK(elastic == Approx(0.2881633890605141).epsilon(1e-12));
}

TEST_CASE("alloy: ideal mixing entropy of an equimolar n-component alloy is R ln n", "[alloy]") {
  const char* formulas[] = {"Fe", "FeNi", "CoFeNi", "CoCrFeNi", "CoCrFeMnNi", "AlCoCrFeMnNi", "AlCoCrFeMnNiTi"};
  for (int n = 1; n <= 7; ++n) {
    const auto v = alloy(formulas[n - 1]);
    INFO(formulas[n - 1]);
    CHECK(v[kDS] == Approx(R * std::log(static_cast<double>(n))).epsilon(1e-15).margin(1e-15));
  }
  const auto fe = alloy("Fe");  // a pure element: nothing to mix
  CHECK(fe[kDelta] == 0.0);
  CHECK(fe[kDH] == 0.0);
  CHECK(fe[kOmega] == 0.0);
  CHECK(fe[kVEC] == 8.0);
  CHECK(fe[kInter] == 0.0);
}

TEST_CASE("alloy: missing data is NaN, or a DataError naming the pair or element when strict", "[alloy]") {
  // Th-U is the one pair of table elements without a Takeuchi–Inoue enthalpy.
  const auto v = alloy("ThU");
  CHECK(std::isnan(v[kDH]));
  CHECK(std::isnan(v[kOmega]));
  CHECK(std::isfinite(v[kDS]));
  CHECK(std::isfinite(v[kInter]));  // both have Miedema parameters
  REQUIRE_THROWS_AS(alloy("ThU", true), DataError);
  REQUIRE_THROWS_WITH(alloy("ThU", true), Catch::Contains("Th-U") && Catch::Contains("row 7"));
  // Xe has no Miedema parameters and no pair enthalpies.
  const auto x = alloy("FeXe");
  CHECK(std::isnan(x[kInter]));
  CHECK(std::isnan(x[kSS]));
  CHECK(std::isnan(x[kAmor]));
  CHECK(std::isnan(x[kDH]));
  REQUIRE_THROWS_WITH(alloy("FeXe", true), Catch::Contains("Xe"));
  // The descriptor function refuses an empty composition.
  double out[11];
  CHECK_THROWS_AS(alloy_descriptors({}, {}, out), DataError);
}

TEST_CASE("alloy: order of the elements does not change the values", "[alloy]") {
  const std::uint8_t z1[] = {13, 27, 24, 26, 28}, z2[] = {28, 26, 24, 27, 13};
  const double x1[] = {0.1, 0.2, 0.3, 0.15, 0.25}, x2[] = {0.25, 0.15, 0.3, 0.2, 0.1};
  double a[11], b[11];
  alloy_descriptors(z1, x1, a);
  alloy_descriptors(z2, x2, b);
  for (int k = 0; k < 11; ++k) CHECK(a[k] == Approx(b[k]).epsilon(1e-12));
}
