// SPDX-License-Identifier: MIT
#include "matopt/featurize/featurizer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>

#include "core/parallel.hpp"
#include "featurize/alloy_featurizer.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<std::string> kMagpieProperties = {
    "Number",      "MendeleevNumber", "AtomicWeight", "MeltingT",    "Column",     "Row",
    "CovalentRadius", "Electronegativity", "NsValence", "NpValence",  "NdValence",  "NfValence",
    "NValence",    "NsUnfilled",      "NpUnfilled",   "NdUnfilled",  "NfUnfilled", "NUnfilled",
    "GSvolume_pa", "GSbandgap",       "GSmagmom",     "SpaceGroupNumber"};
const std::vector<std::string> kMagpieStats = {"minimum", "maximum", "range", "mean", "avg_dev", "mode"};

constexpr int kNumProps = 22;
constexpr int kStride = 24;  // padded so each element's row is 3 cache-line-friendly vectors of 8
constexpr int kPNorms[] = {2, 3, 5, 7, 10};

[[noreturn]] void throw_empty(std::size_t row) {
  throw DataError(format_location(Location{"", row, "", ""}, "empty composition (expected at least one element)"));
}

/// Dense [Z][kStride] table of the given properties, imputed or with NaN, built once and shared.
struct PropertyTable {
  std::vector<double> values;  // (kMaxZ + 1) * kStride
  bool has_nan = false;

  PropertyTable(const std::vector<std::string>& names, bool impute) : values((kMaxZ + 1) * kStride, 0.0) {
    const ElementTable& t = ElementTable::instance();
    for (std::size_t p = 0; p < names.size(); ++p) {
      int idx = t.property_index(names[p]);
      for (int z = 1; z <= kMaxZ; ++z) {
        double v = t.value(idx, z);
        if (std::isnan(v)) {
          if (impute)
            v = t.impute_value(idx);
          else
            has_nan = true;
        }
        values[static_cast<std::size_t>(z) * kStride + p] = v;
      }
    }
  }
  const double* row(int z) const noexcept { return values.data() + static_cast<std::size_t>(z) * kStride; }
};

const PropertyTable& magpie_table(bool impute) {
  static const PropertyTable imputed(kMagpieProperties, true);
  static const PropertyTable raw(kMagpieProperties, false);
  return impute ? imputed : raw;
}

const std::vector<std::string> kValenceProps = {"NsValence", "NpValence", "NdValence", "NfValence", "NValence"};

const PropertyTable& valence_table(bool impute) {
  static const PropertyTable imputed(kValenceProps, true);
  static const PropertyTable raw(kValenceProps, false);
  return impute ? imputed : raw;
}

// ---------------------------------------------------------------------------------------------
class MagpieFeaturizer final : public Featurizer {
 public:
  explicit MagpieFeaturizer(bool impute) : impute_(impute), table_(&magpie_table(impute)) {}
  std::string name() const override { return "magpie"; }
  std::size_t size() const override { return kNumProps * 6; }
  std::vector<std::string> labels() const override {
    std::vector<std::string> out;
    out.reserve(size());
    for (const auto& p : kMagpieProperties)
      for (const auto& s : kMagpieStats) out.push_back("MagpieData " + s + " " + p);
    return out;
  }
  std::unique_ptr<Featurizer> clone() const override { return std::make_unique<MagpieFeaturizer>(impute_); }

  void featurize(const Composition& c, double* out, std::size_t row) const override {
    const auto z = c.elements();
    const auto x = c.fractions();
    const std::size_t n = z.size();
    if (n == 0) throw_empty(row);

    alignas(64) double mn[kStride], mx[kStride], sum[kStride], dev[kStride], mode[kStride];
    const double* r0 = table_->row(z[0]);
    double wsum = x[0];
    for (int p = 0; p < kStride; ++p) {
      mn[p] = r0[p];
      mx[p] = r0[p];
      sum[p] = x[0] * r0[p];
    }
    for (std::size_t i = 1; i < n; ++i) {
      const double* r = table_->row(z[i]);
      const double w = x[i];
      wsum += w;
      for (int p = 0; p < kStride; ++p) {
        mn[p] = r[p] < mn[p] ? r[p] : mn[p];
        mx[p] = r[p] > mx[p] ? r[p] : mx[p];
        sum[p] += w * r[p];
      }
    }
    for (int p = 0; p < kStride; ++p) {
      sum[p] /= wsum;  // now the mean
      dev[p] = 0.0;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double* r = table_->row(z[i]);
      const double w = x[i];
      for (int p = 0; p < kStride; ++p) dev[p] += w * std::fabs(r[p] - sum[p]);
    }
    // Mode: value of the element with the largest fraction; fractions within numpy's isclose
    // tolerance of the largest count as tied and the smallest tied value wins.
    double xmax = x[0];
    for (std::size_t i = 1; i < n; ++i) xmax = x[i] > xmax ? x[i] : xmax;
    const double tol = 1e-8 + 1e-5 * std::fabs(xmax);
    bool first = true;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(std::fabs(x[i] - xmax) <= tol)) continue;
      const double* r = table_->row(z[i]);
      if (first) {
        for (int p = 0; p < kStride; ++p) mode[p] = r[p];
        first = false;
      } else {
        for (int p = 0; p < kStride; ++p) mode[p] = r[p] < mode[p] ? r[p] : mode[p];
      }
    }
    if (table_->has_nan) {
      // Without imputation a missing value makes every statistic over it NaN (numpy semantics);
      // the plain comparisons above would silently skip it.
      for (std::size_t i = 0; i < n; ++i) {
        const double* r = table_->row(z[i]);
        const bool tied = std::fabs(x[i] - xmax) <= tol;
        for (int p = 0; p < kNumProps; ++p) {
          if (!std::isnan(r[p])) continue;
          mn[p] = mx[p] = sum[p] = dev[p] = kNaN;
          if (tied) mode[p] = kNaN;
        }
      }
    }
    for (int p = 0; p < kNumProps; ++p) {
      double* o = out + 6 * p;
      o[0] = mn[p];
      o[1] = mx[p];
      o[2] = mx[p] - mn[p];
      o[3] = sum[p];
      o[4] = dev[p] / wsum;
      o[5] = mode[p];
    }
  }

 private:
  bool impute_;
  const PropertyTable* table_;
};

// ---------------------------------------------------------------------------------------------
class FractionsFeaturizer final : public Featurizer {
 public:
  explicit FractionsFeaturizer(std::vector<int> elements) { set_elements(std::move(elements)); }
  std::string name() const override { return "fractions"; }
  std::size_t size() const override { return elements_.size(); }
  std::vector<std::string> labels() const override {
    std::vector<std::string> out;
    for (int z : elements_) out.emplace_back(element_symbol(z));
    return out;
  }
  bool needs_fit() const override { return elements_.empty(); }
  void fit(std::span<const Composition> train) override {
    std::array<bool, kMaxZ + 1> seen{};
    for (const auto& c : train)
      for (auto z : c.elements()) seen[z] = true;
    std::vector<int> els;
    for (int z = 1; z <= kMaxZ; ++z)
      if (seen[z]) els.push_back(z);
    set_elements(std::move(els));
  }
  std::unique_ptr<Featurizer> clone() const override { return std::make_unique<FractionsFeaturizer>(elements_); }
  const std::vector<int>& elements() const noexcept { return elements_; }

  void featurize(const Composition& c, double* out, std::size_t row) const override {
    if (c.empty()) throw_empty(row);
    std::fill(out, out + elements_.size(), 0.0);
    const auto z = c.elements();
    const auto x = c.fractions();
    for (std::size_t i = 0; i < z.size(); ++i) {
      const int k = index_[z[i]];
      if (k < 0) {
        std::string known;
        for (int e : elements_) {
          if (!known.empty()) known += ", ";
          known += element_symbol(e);
        }
        throw DataError(format_location(
            Location{"", row, "", std::string(element_symbol(z[i]))},
            "element " + std::string(element_symbol(z[i])) +
                " is not in the element list of featurizer 'fractions' (fitted on: " + known + ")"));
      }
      out[k] = x[i];
    }
  }

 private:
  void set_elements(std::vector<int> elements) {
    std::sort(elements.begin(), elements.end());
    elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
    for (int z : elements)
      if (z < 1 || z > kMaxZ) throw InvalidArgument("fractions: atomic number " + std::to_string(z) + " is not in 1..118");
    elements_ = std::move(elements);
    index_.fill(-1);
    for (std::size_t k = 0; k < elements_.size(); ++k) index_[elements_[k]] = static_cast<int>(k);
  }
  std::vector<int> elements_;
  std::array<int, kMaxZ + 1> index_{};
};

// ---------------------------------------------------------------------------------------------
// The composition as a short list of (element, fraction) tokens for models that attend over elements
// (the deep ensemble's attention architecture). Filled slots come first, largest fraction first
// (ties by Z), so a model can take the first k columns of each half for a k-element row.
class ElementSlotsFeaturizer final : public Featurizer {
 public:
  std::string name() const override { return "element_slots"; }
  std::size_t size() const override { return 2 * kElementSlots; }
  std::vector<std::string> labels() const override {
    std::vector<std::string> out;
    for (std::size_t k = 1; k <= kElementSlots; ++k) out.push_back("slot" + std::to_string(k) + "_Z");
    for (std::size_t k = 1; k <= kElementSlots; ++k) out.push_back("slot" + std::to_string(k) + "_fraction");
    return out;
  }
  std::unique_ptr<Featurizer> clone() const override { return std::make_unique<ElementSlotsFeaturizer>(); }

  void featurize(const Composition& c, double* out, std::size_t row) const override {
    if (c.empty()) throw_empty(row);
    const auto z = c.elements();
    const auto x = c.fractions();
    if (z.size() > kElementSlots)
      throw DataError(format_location(Location{"", row, "", ""},
                                      "composition has " + std::to_string(z.size()) + " elements; featurizer "
                                      "'element_slots' holds at most " + std::to_string(kElementSlots)));
    std::vector<std::size_t> order(z.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return x[a] != x[b] ? x[a] > x[b] : z[a] < z[b];
    });
    std::fill(out, out + size(), 0.0);
    for (std::size_t k = 0; k < order.size(); ++k) {
      out[k] = static_cast<double>(z[order[k]]);
      out[kElementSlots + k] = x[order[k]];
    }
  }
};

// ---------------------------------------------------------------------------------------------
class StoichiometryFeaturizer final : public Featurizer {
 public:
  std::string name() const override { return "stoichiometry"; }
  std::size_t size() const override { return 6; }
  std::vector<std::string> labels() const override {
    std::vector<std::string> out = {"0-norm"};
    for (int p : kPNorms) out.push_back(std::to_string(p) + "-norm");
    return out;
  }
  std::unique_ptr<Featurizer> clone() const override { return std::make_unique<StoichiometryFeaturizer>(); }
  void featurize(const Composition& c, double* out, std::size_t row) const override {
    if (c.empty()) throw_empty(row);
    const auto x = c.fractions();
    out[0] = static_cast<double>(x.size());
    // Integer powers by multiplication (a few ulp from pow, far cheaper); p = 2, 3, 5, 7, 10.
    double s2 = 0, s3 = 0, s5 = 0, s7 = 0, s10 = 0;
    for (double xi : x) {
      const double x2 = xi * xi, x3 = x2 * xi, x5 = x3 * x2;
      s2 += x2;
      s3 += x3;
      s5 += x5;
      s7 += x5 * x2;
      s10 += x5 * x5;
    }
    out[1] = std::sqrt(s2);
    out[2] = std::cbrt(s3);
    out[3] = std::pow(s5, 1.0 / kPNorms[2]);
    out[4] = std::pow(s7, 1.0 / kPNorms[3]);
    out[5] = std::pow(s10, 1.0 / kPNorms[4]);
  }
};

// ---------------------------------------------------------------------------------------------
// matminer ValenceOrbital: avg_X = fraction-weighted mean of NXValence; frac_X = avg_X divided by the
// fraction-weighted mean of NValence (the tables satisfy NValence = Ns + Np + Nd + Nf).
class ValenceOrbitalFeaturizer final : public Featurizer {
 public:
  explicit ValenceOrbitalFeaturizer(bool impute) : impute_(impute), table_(&valence_table(impute)) {}
  std::string name() const override { return "valence_orbital"; }
  std::size_t size() const override { return 8; }
  std::vector<std::string> labels() const override {
    std::vector<std::string> out;
    for (const char* prop : {"avg", "frac"})
      for (const char* orb : {"s", "p", "d", "f"}) out.push_back(std::string(prop) + " " + orb + " valence electrons");
    return out;
  }
  std::unique_ptr<Featurizer> clone() const override { return std::make_unique<ValenceOrbitalFeaturizer>(impute_); }
  void featurize(const Composition& c, double* out, std::size_t row) const override {
    if (c.empty()) throw_empty(row);
    const auto z = c.elements();
    const auto x = c.fractions();
    double sum[5] = {0, 0, 0, 0, 0};
    double wsum = 0.0;
    for (std::size_t i = 0; i < z.size(); ++i) {
      const double* r = table_->row(z[i]);
      wsum += x[i];
      for (int k = 0; k < 5; ++k) sum[k] += x[i] * r[k];
    }
    for (int k = 0; k < 5; ++k) sum[k] /= wsum;
    for (int k = 0; k < 4; ++k) {
      out[k] = sum[k];
      out[4 + k] = sum[k] / sum[4];  // 0/0 -> NaN for an all-zero valence composition
    }
  }

 private:
  bool impute_;
  const PropertyTable* table_;
};

// ---------------------------------------------------------------------------------------------
class CompositeFeaturizer final : public Featurizer {
 public:
  explicit CompositeFeaturizer(std::vector<std::unique_ptr<Featurizer>> parts) : parts_(std::move(parts)) {}
  std::string name() const override {
    std::string s;
    for (const auto& p : parts_) {
      if (!s.empty()) s += "+";
      s += p->name();
    }
    return s;
  }
  std::size_t size() const override {
    std::size_t n = 0;
    for (const auto& p : parts_) n += p->size();
    return n;
  }
  std::vector<std::string> labels() const override {
    std::vector<std::string> out;
    for (const auto& p : parts_) {
      auto l = p->labels();
      out.insert(out.end(), l.begin(), l.end());
    }
    return out;
  }
  bool needs_fit() const override {
    return std::any_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->needs_fit(); });
  }
  void fit(std::span<const Composition> train) override {
    for (auto& p : parts_) p->fit(train);
  }
  std::unique_ptr<Featurizer> clone() const override {
    std::vector<std::unique_ptr<Featurizer>> parts;
    for (const auto& p : parts_) parts.push_back(p->clone());
    return std::make_unique<CompositeFeaturizer>(std::move(parts));
  }
  void featurize(const Composition& c, double* out, std::size_t row) const override {
    for (const auto& p : parts_) {
      p->featurize(c, out, row);
      out += p->size();
    }
  }
  const std::vector<std::unique_ptr<Featurizer>>& parts() const noexcept { return parts_; }

 private:
  std::vector<std::unique_ptr<Featurizer>> parts_;
};

const std::vector<std::string> kNames = {"magpie", "fractions", "stoichiometry", "valence_orbital", "element_slots", "alloy"};

std::unique_ptr<Featurizer> make_one(std::string_view name, const FeaturizerOptions& o, std::string_view spec) {
  if (name == "magpie") return std::make_unique<MagpieFeaturizer>(o.impute_missing);
  if (name == "fractions") return std::make_unique<FractionsFeaturizer>(o.elements);
  if (name == "stoichiometry") return std::make_unique<StoichiometryFeaturizer>();
  if (name == "valence_orbital") return std::make_unique<ValenceOrbitalFeaturizer>(o.impute_missing);
  if (name == "element_slots") return std::make_unique<ElementSlotsFeaturizer>();
  if (name == "alloy") return make_alloy_featurizer(o.strict_missing);
  std::string valid;
  for (const auto& n : kNames) {
    if (!valid.empty()) valid += ", ";
    valid += n;
  }
  throw InvalidArgument("unknown featurizer '" + std::string(name) + "' in spec '" + std::string(spec) +
                        "' (valid: " + valid + "; combine with '+')");
}

}  // namespace

std::vector<std::string> featurizer_names() { return kNames; }

const std::vector<std::string>& magpie_properties() { return kMagpieProperties; }
const std::vector<std::string>& magpie_stats() { return kMagpieStats; }

std::unique_ptr<Featurizer> make_featurizer(std::string_view spec, const FeaturizerOptions& options) {
  std::vector<std::unique_ptr<Featurizer>> parts;
  std::vector<std::string> seen;
  std::size_t start = 0;
  while (true) {
    std::size_t end = spec.find('+', start);
    std::string_view part = spec.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.empty())
      throw InvalidArgument("featurizer spec '" + std::string(spec) + "' has an empty part (expected e.g. 'magpie+stoichiometry')");
    if (std::find(seen.begin(), seen.end(), part) != seen.end())
      throw InvalidArgument("featurizer '" + std::string(part) + "' appears twice in spec '" + std::string(spec) + "'");
    seen.emplace_back(part);
    parts.push_back(make_one(part, options, spec));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts.size() == 1) return std::move(parts.front());
  return std::make_unique<CompositeFeaturizer>(std::move(parts));
}

std::vector<int> fitted_fraction_elements(const Featurizer& f) {
  if (auto* fr = dynamic_cast<const FractionsFeaturizer*>(&f)) return fr->elements();
  if (auto* cf = dynamic_cast<const CompositeFeaturizer*>(&f))
    for (const auto& p : cf->parts())
      if (auto* fr = dynamic_cast<const FractionsFeaturizer*>(p.get())) return fr->elements();
  return {};
}

Eigen::MatrixXd featurize_compositions(const Featurizer& f, std::span<const Composition> compositions,
                                       unsigned threads, std::size_t row_offset) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const std::size_t n = compositions.size(), d = f.size();
  RowMajor buf(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  double* base = buf.data();
  detail::parallel_chunks(n, threads, 4096, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) f.featurize(compositions[i], base + i * d, i + row_offset);
  });
  return Eigen::MatrixXd(buf);
}

void featurize_formulas(const Featurizer& f, std::span<const std::string_view> formulas, double* out,
                        unsigned threads, std::size_t first_row, const std::string& column,
                        const FormulaOptions& formula_options) {
  const std::size_t d = f.size();
  detail::parallel_chunks(formulas.size(), threads, 2048, [&](std::size_t b, std::size_t e) {
    Composition comp;  // reused: parse_into keeps its storage, so no allocation per row
    for (std::size_t i = b; i < e; ++i) {
      try {
        Composition::parse_into(formulas[i], comp, formula_options);
      } catch (const FormulaError& err) {
        throw DataError(format_location(Location{"", first_row + i, column, std::string(formulas[i])},
                                        std::string("bad formula: ") + err.what()));
      }
      f.featurize(comp, out + i * d, first_row + i);
    }
  });
}

}  // namespace matopt
