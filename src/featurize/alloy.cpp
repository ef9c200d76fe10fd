// SPDX-License-Identifier: MIT
// The `alloy` featurizer: Hume-Rothery / Yang–Zhang descriptors and Miedema formation enthalpies.
#include "matopt/featurize/alloy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <tuple>

#include "featurize/alloy_featurizer.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kKjPerMolPerEv = 96.4853;  // matminer's kJ/mol -> eV/atom divisor
constexpr double kMinAbsMixingEnthalpy = 1e-6;  // kJ/mol; Ω's floor on |ΔH_mix| (matminer's)
constexpr std::size_t kSide = kMaxZ + 1;

const std::vector<std::string> kNames = {"delta",   "dH_mix",  "dS_mix",
                                         "omega",   "VEC",     "dchi",
                                         "Tm_mean", "Tm_std",  "Miedema_deltaH_inter",
                                         "Miedema_deltaH_ss_min", "Miedema_deltaH_amor"};
enum Out { kDelta, kDH, kDS, kOmega, kVEC, kDChi, kTm, kTmStd, kInter, kSS, kAmor, kCount };

/// Miedema model parameters of one element (Miedema.csv), plus the powers used per pair.
struct MiedemaElement {
  bool ok = false;
  double volume = 0, v23 = 0, n_ws = 0, n13 = 0, phi = 0, valence = 0, a = 0, r = 0, h_trans = 0;
  double compressibility = 0, shear = 0, melting = 0, stability = 0;
  bool transition_class = false;  // valence electrons a whole number in 3..11 (matminer's range(3, 12))
};

/// Per ordered element pair (A = row, B = column): Takeuchi–Inoue ΔH_AB (kJ/mol, NaN if missing),
/// the Miedema interface term η_AB and the elastic solution enthalpies of A in B and B in A.
struct PairData {
  double dh = kNaN;
  double eta = 0, h_ab = 0, h_ba = 0;
};

struct Tables {
  std::array<double, kSide> radius{}, melting{}, chi{}, valence{};
  std::array<MiedemaElement, kSide> miedema{};
  std::vector<PairData> pair = std::vector<PairData>(kSide * kSide);
  const PairData& at(int a, int b) const { return pair[static_cast<std::size_t>(a) * kSide + b]; }
  PairData& at(int a, int b) { return pair[static_cast<std::size_t>(a) * kSide + b]; }
};

[[noreturn]] void throw_table(const std::filesystem::path& file, std::size_t row, const std::string& column,
                              const std::string& value, const std::string& what) {
  throw DataError(format_location(Location{file.string(), row, column, value}, what));
}

int symbol_z(const std::filesystem::path& file, std::size_t row, const std::string& column, const std::string& s) {
  const int z = element_z(s);
  if (z == 0) throw_table(file, row, column, s, "not an element symbol");
  return z;
}

void load_magpie_columns(Tables& t) {
  const ElementTable& e = ElementTable::instance();
  const int r = e.property_index("MiracleRadius"), m = e.property_index("MeltingT");
  const int c = e.property_index("Electronegativity"), v = e.property_index("NValence");
  for (int z = 1; z <= kMaxZ; ++z) {
    t.radius[z] = e.value(r, z);
    t.melting[z] = e.value(m, z);
    t.chi[z] = e.value(c, z);
    t.valence[z] = e.value(v, z);
  }
}

void load_miedema_elements(const std::filesystem::path& file, Tables& t) {
  const CsvTable csv = read_csv(file);
  const char* names[] = {"molar_volume", "electron_density", "electronegativity", "valence_electrons",
                         "a_const",      "R_const",          "H_trans",           "compressibility",
                         "shear_modulus", "melting_point",   "structural_stability"};
  std::size_t col[11];
  for (int k = 0; k < 11; ++k) col[k] = csv.column(names[k]);
  const std::size_t sym = csv.column("element");
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    const auto& cells = csv.rows[i];
    const std::size_t line = csv.line_of_row[i];
    double v[11];
    for (int k = 0; k < 11; ++k)
      if (!parse_double(cells[col[k]], v[k]) || !std::isfinite(v[k]))
        throw_table(file, line, names[k], cells[col[k]], "expected a finite number");
    MiedemaElement& m = t.miedema[symbol_z(file, line, "element", cells[sym])];
    m = MiedemaElement{true, v[0], std::pow(v[0], 2.0 / 3.0), v[1], std::cbrt(v[1]), v[2], v[3], v[4], v[5], v[6],
                       v[7], v[8], v[9], v[10], v[3] == std::floor(v[3]) && v[3] >= 3 && v[3] <= 11};
  }
}

void load_pair_enthalpies(const std::filesystem::path& file, Tables& t) {
  std::ifstream in(file);
  if (!in) throw IOError("cannot read " + file.string());
  std::string line;
  std::size_t row = 0;
  while (std::getline(in, line)) {
    ++row;
    std::istringstream ss(line);
    std::string a, b, v, extra;
    if (!(ss >> a)) continue;
    if (!(ss >> b >> v) || (ss >> extra))
      throw_table(file, row, "", line, "expected 3 fields: elem_A elem_B delta_Hf");
    if (row == 1) {
      if (a != "elem_A" || b != "elem_B" || v != "delta_Hf")
        throw_table(file, row, "", line, "expected the header 'elem_A elem_B delta_Hf'");
      continue;
    }
    double h = 0;
    if (!parse_double(v, h) || !std::isfinite(h)) throw_table(file, row, "delta_Hf", v, "expected a finite number");
    const int za = symbol_z(file, row, "elem_A", a), zb = symbol_z(file, row, "elem_B", b);
    t.at(za, zb).dh = h;
    t.at(zb, za).dh = h;
  }
}

/// η_AB = 2 (−P Δφ² − R' + Q Δ(n_ws^⅓)²) / (1/n_A^⅓ + 1/n_B^⅓), with P, Q, R' chosen by the valence classes.
double miedema_eta(const MiedemaElement& A, const MiedemaElement& B) {
  double p = 12.35, r = A.r * B.r * 12.35;
  if (A.transition_class == B.transition_class) {
    p = A.transition_class ? 14.1 : 10.7;
    r = 0.0;
  }
  const double q = p * 9.4, dphi = A.phi - B.phi, dn = A.n13 - B.n13;
  return 2.0 * (-p * dphi * dphi - r + q * dn * dn) / (1.0 / A.n13 + 1.0 / B.n13);
}

/// Elastic size-mismatch enthalpies of A dissolved in B (first) and B in A (second), kJ/mol.
std::pair<double, double> miedema_elastic(const MiedemaElement& A, const MiedemaElement& B) {
  const double inv = 1.0 / A.n13 + 1.0 / B.n13, dphi = A.phi - B.phi;
  const double alp_a = 1.5 * A.v23 / inv, alp_b = 1.5 * B.v23 / inv;
  const double va = A.volume + alp_a * dphi / A.n_ws, vb = B.volume - alp_b * dphi / B.n_ws;
  const double alpa_a = 1.5 * std::pow(va, 2.0 / 3.0) / inv, alpa_b = 1.5 * std::pow(vb, 2.0 / 3.0) / inv;
  const double vab0 = A.volume + alpa_a * dphi / A.n_ws, vab1 = A.volume - alpa_b * dphi / A.n_ws;
  const double vba0 = B.volume + alpa_a * dphi / B.n_ws, vba1 = B.volume - alpa_b * dphi / B.n_ws;
  const double d0 = vab0 - vba0, d1 = vba1 - vab1;
  const double h_ab = 2.0 * A.compressibility * B.shear * d0 * d0 / (4.0 * B.shear * vab0 + 3.0 * A.compressibility * vba0);
  const double h_ba = 2.0 * B.compressibility * A.shear * d1 * d1 / (4.0 * A.shear * vba1 + 3.0 * B.compressibility * vab1);
  return {h_ab, h_ba};
}

void build_miedema_pairs(Tables& t) {
  for (int a = 1; a <= kMaxZ; ++a) {
    if (!t.miedema[a].ok) continue;
    for (int b = 1; b <= kMaxZ; ++b) {
      if (!t.miedema[b].ok || a == b) continue;
      PairData& p = t.at(a, b);
      p.eta = miedema_eta(t.miedema[a], t.miedema[b]);
      std::tie(p.h_ab, p.h_ba) = miedema_elastic(t.miedema[a], t.miedema[b]);
    }
  }
}

const Tables& tables() {
  static const std::unique_ptr<Tables> t = [] {
    auto out = std::make_unique<Tables>();
    const auto dir = data_dir() / "elements" / "miedema";
    load_magpie_columns(*out);
    load_miedema_elements(dir / "Miedema.csv", *out);
    load_pair_enthalpies(dir / "MiedemaLiquidDeltaHf.tsv", *out);
    build_miedema_pairs(*out);
    return out;
  }();
  return *t;
}

[[noreturn]] void throw_missing(std::size_t row, const std::string& what) {
  throw DataError(format_location(Location{"", row, "", ""}, "alloy: " + what));
}

/// Fraction-weighted mean of a per-element property and sqrt of the weighted mean squared deviation
/// (relative to the mean when `relative`). NaN (or DataError when strict) if an element lacks the value.
std::pair<double, double> mean_and_spread(const std::array<double, kSide>& v, std::span<const std::uint8_t> z,
                                          std::span<const double> x, bool relative, bool strict, std::size_t row,
                                          const char* property, const char* feature) {
  double mean = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (std::isnan(v[z[i]])) {
      if (strict)
        throw_missing(row, "element " + std::string(element_symbol(z[i])) + " has no " + property + " value (needed by " +
                               feature + ")");
      return {kNaN, kNaN};
    }
    mean += x[i] * v[z[i]];
  }
  double ss = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double d = relative ? 1.0 - v[z[i]] / mean : v[z[i]] - mean;
    ss += x[i] * d * d;
  }
  return {mean, std::sqrt(ss)};
}

double mixing_enthalpy(const Tables& t, std::span<const std::uint8_t> z, std::span<const double> x, bool strict,
                       std::size_t row) {
  double h = 0;
  for (std::size_t i = 0; i < z.size(); ++i)
    for (std::size_t j = i + 1; j < z.size(); ++j) {
      const double hij = t.at(z[i], z[j]).dh;
      if (std::isnan(hij)) {
        if (strict)
          throw_missing(row, "no Takeuchi-Inoue mixing enthalpy for the pair " + std::string(element_symbol(z[i])) + "-" +
                                 std::string(element_symbol(z[j])) + " (needed by dH_mix and omega)");
        return kNaN;
      }
      h += x[i] * x[j] * hij;
    }
  return 4.0 * h;
}

/// Miedema chemical term of the pair A-B (matminer's deltaH_chem) for the three phases at once:
/// out[0] intermetallic (γ = 8), out[1] amorphous (γ = 5), out[2] solid solution (γ = 0); kJ/mol.
void miedema_chemical(const MiedemaElement& A, const MiedemaElement& B, const PairData& p, double xa, double xb,
                      double out[3]) {
  const double sa = xa * A.v23, sb = xb * B.v23;
  const double cs_a = sa / (sa + sb), cs_b = sb / (sa + sb), c2 = cs_a * cs_b * cs_a * cs_b;
  const double dphi = A.phi - B.phi, trans = xa * A.h_trans + xb * B.h_trans;
  const double gammas[3] = {8.0, 5.0, 0.0};
  for (int k = 0; k < 3; ++k) {
    const double g = gammas[k];
    const double va = A.v23 * (1.0 + A.a * cs_b * (1.0 + g * c2) * dphi);
    const double vb = B.v23 * (1.0 - B.a * cs_a * (1.0 + g * c2) * dphi);
    const double ta = xa * va, tb = xb * vb;
    const double ca = ta / (ta + tb), cb = tb / (ta + tb);
    const double f_ab = cb * (1.0 + g * ca * cb * ca * cb);
    out[k] = f_ab * xa * va * p.eta + trans;
  }
}

// Lattice stabilities (kJ/mol) against the mean valence, fcc / bcc / hcp (matminer's tables).
constexpr double kLatticeKeys[18] = {0, 1, 2, 3, 4, 5, 5.5, 6, 7, 8, 8.5, 9, 10, 11, 12, 13, 14, 15};
constexpr double kLatticeStability[3][18] = {
    {0, 0, 0, -2, -1.5, 9.0, 14.0, 11.0, -3.0, -9.5, -11.0, -9.0, -2.0, 1.5, 0, 0, 0, 0},
    {0, 0, 0, 2.2, 2.0, -9.5, -14.5, -12.0, 4.0, 10.0, 11.0, 8.5, 1.5, 1.5, 0, 0, 0, 0},
    {0, 0, 0, -2.5, -2.5, 10.0, 15.0, 13.0, -5.0, -10.5, -11.0, -8.0, -1.0, 2.5, 0, 0, 0, 0}};

/// Structural term: linear interpolation of the lattice stability at the mean valence, minus the
/// fraction-weighted elemental structural stabilities (matminer's deltaH_struct and its bracket search).
double miedema_structural(const double (&stability)[18], double val_avg, double stab_avg) {
  int lo = 0, up = 0;
  for (int k = 0; k < 18; ++k) {
    if (val_avg - kLatticeKeys[k] <= 0) {
      up = k;
      break;
    }
    lo = k;
  }
  const double kl = kLatticeKeys[lo], ku = kLatticeKeys[up];
  const double latt = (val_avg - kl) * stability[up] / (ku - kl) + (ku - val_avg) * stability[lo] / (ku - kl);
  return latt - stab_avg;
}

void miedema_enthalpies(const Tables& t, std::span<const std::uint8_t> z, std::span<const double> x, bool strict,
                        std::size_t row, double* out) {
  double val_avg = 0, stab_avg = 0, melt_avg = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const MiedemaElement& m = t.miedema[z[i]];
    if (!m.ok) {
      if (strict)
        throw_missing(row, "element " + std::string(element_symbol(z[i])) +
                               " has no Miedema parameters (needed by the Miedema_deltaH features)");
      out[0] = out[1] = out[2] = kNaN;
      return;
    }
    val_avg += x[i] * m.valence;
    stab_avg += x[i] * m.stability;
    melt_avg += x[i] * m.melting;
  }
  double inter = 0, amor = 0, chem_ss = 0, elastic = 0;
  for (std::size_t i = 0; i < z.size(); ++i)
    for (std::size_t j = i + 1; j < z.size(); ++j) {
      const PairData& p = t.at(z[i], z[j]);
      double h[3];
      miedema_chemical(t.miedema[z[i]], t.miedema[z[j]], p, x[i], x[j], h);
      inter += h[0];
      amor += h[1];
      chem_ss += h[2];
      elastic += x[i] * x[j] * (x[j] * p.h_ab + x[i] * p.h_ba);
    }
  double ss = chem_ss + elastic;  // no_latt: no structural term
  for (const auto& stability : kLatticeStability)
    ss = std::min(ss, chem_ss + elastic + miedema_structural(stability, val_avg, stab_avg));
  out[0] = inter / kKjPerMolPerEv;
  out[1] = ss / kKjPerMolPerEv;
  out[2] = (amor + 3.5 * melt_avg / 1000.0) / kKjPerMolPerEv;
}

// ---------------------------------------------------------------------------------------------
class AlloyFeaturizer final : public Featurizer {
 public:
  explicit AlloyFeaturizer(bool strict) : strict_(strict) { (void)tables(); }
  std::string name() const override { return "alloy"; }
  std::size_t size() const override { return kCount; }
  std::vector<std::string> labels() const override { return kNames; }
  std::unique_ptr<Featurizer> clone() const override { return std::make_unique<AlloyFeaturizer>(strict_); }
  void featurize(const Composition& c, double* out, std::size_t row) const override {
    alloy_descriptors(c.elements(), c.fractions(), out, strict_, row);
  }

 private:
  bool strict_;
};

}  // namespace

const std::vector<std::string>& alloy_descriptor_names() { return kNames; }

int alloy_descriptor_index(std::string_view name) noexcept {
  for (std::size_t k = 0; k < kNames.size(); ++k)
    if (kNames[k] == name) return static_cast<int>(k);
  return -1;
}

void alloy_descriptors(std::span<const std::uint8_t> z, std::span<const double> x, double* out, bool strict,
                       std::size_t row) {
  if (z.empty() || z.size() != x.size())
    throw DataError(format_location(Location{"", row, "", ""}, "alloy: empty composition (expected at least one element)"));
  const Tables& t = tables();
  const auto [rbar, delta] = mean_and_spread(t.radius, z, x, true, strict, row, "MiracleRadius", "delta");
  const auto [tm, tm_std] = mean_and_spread(t.melting, z, x, false, strict, row, "MeltingT", "Tm_mean, Tm_std and omega");
  const auto [chi, dchi] = mean_and_spread(t.chi, z, x, false, strict, row, "Electronegativity", "dchi");
  const auto [vec, vec_spread] = mean_and_spread(t.valence, z, x, false, strict, row, "NValence", "VEC");
  (void)rbar;
  (void)chi;
  (void)vec_spread;
  double s = 0;
  for (double xi : x)
    if (xi > 0) s -= xi * std::log(xi);
  const double dh = mixing_enthalpy(t, z, x, strict, row);
  const double ds = kGasConstant * s;
  out[kDelta] = delta;
  out[kDH] = dh;
  out[kDS] = ds;
  out[kOmega] = tm * ds / (1000.0 * std::max(std::fabs(dh), kMinAbsMixingEnthalpy));
  if (std::isnan(dh)) out[kOmega] = kNaN;
  out[kVEC] = vec;
  out[kDChi] = dchi;
  out[kTm] = tm;
  out[kTmStd] = tm_std;
  miedema_enthalpies(t, z, x, strict, row, out + kInter);
}

std::unique_ptr<Featurizer> make_alloy_featurizer(bool strict) { return std::make_unique<AlloyFeaturizer>(strict); }

}  // namespace matopt
