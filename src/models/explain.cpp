// SPDX-License-Identifier: MIT
#include "matopt/models/explain.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <utility>

#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/models/model.hpp"

namespace matopt {

namespace {

double error_of(const Eigen::VectorXd& pred, const Eigen::VectorXd& reference) {
  return (pred - reference).cwiseAbs().mean();
}

void sort_by_mean(std::vector<GroupImportance>& v) {
  std::stable_sort(v.begin(), v.end(), [](const GroupImportance& a, const GroupImportance& b) { return a.mean > b.mean; });
}

// The row's composition with element z at fraction t and the others scaled to share 1 − t.
Composition with_fraction(const Composition& c, int z, double t) {
  const double rest = 1.0 - c.fraction(z);
  std::vector<std::pair<int, double>> amounts;
  for (std::size_t k = 0; k < c.size(); ++k) {
    const int e = c.elements()[k];
    if (e != z) amounts.emplace_back(e, c.fractions()[k] * (1.0 - t) / rest);
  }
  if (t > 0) amounts.emplace_back(z, t);
  std::erase_if(amounts, [](const auto& a) { return !(a.second > 0); });
  return Composition::from_amounts(amounts);
}

}  // namespace

std::string feature_group(const std::string& label) {
  constexpr std::string_view kMagpie = "MagpieData ";
  if (label.rfind(kMagpie, 0) == 0) {
    const auto space = label.find(' ', kMagpie.size());
    if (space != std::string::npos) return "Magpie " + label.substr(space + 1);
  }
  if (element_z(label) != 0) return "fraction " + label;
  return label;
}

FeatureGroups group_features(const std::vector<std::string>& labels) {
  FeatureGroups g;
  std::map<std::string, std::size_t> index;
  for (std::size_t c = 0; c < labels.size(); ++c) {
    const std::string name = feature_group(labels[c]);
    auto [it, fresh] = index.emplace(name, g.names.size());
    if (fresh) {
      g.names.push_back(name);
      g.columns.emplace_back();
    }
    g.columns[it->second].push_back(static_cast<Eigen::Index>(c));
  }
  return g;
}

std::vector<GroupImportance> permutation_importance(const std::function<Eigen::VectorXd(const Eigen::MatrixXd&)>& predict,
                                                    const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                                    const FeatureGroups& groups, int repeats, std::uint64_t seed) {
  if (repeats < 1) throw InvalidArgument("permutation importance: repeats must be >= 1");
  if (X.rows() < 2) throw InvalidArgument("permutation importance: needs at least 2 rows");
  if (y.size() != 0 && y.size() != X.rows()) throw InvalidArgument("permutation importance: y and X differ in rows");
  const Eigen::VectorXd base = predict(X);
  const Eigen::VectorXd& reference = y.size() ? y : base;
  const double base_error = error_of(base, reference);
  std::vector<GroupImportance> out;
  for (std::size_t g = 0; g < groups.names.size(); ++g) {
    std::vector<double> inc;
    for (int r = 0; r < repeats; ++r) {
      Rng rng(derive_seed(seed, g * 1000003 + static_cast<std::uint64_t>(r)));
      std::vector<Eigen::Index> perm(static_cast<std::size_t>(X.rows()));
      std::iota(perm.begin(), perm.end(), Eigen::Index{0});
      for (std::size_t i = perm.size() - 1; i > 0; --i) std::swap(perm[i], perm[uniform_index(rng, i + 1)]);
      Eigen::MatrixXd P = X;
      for (Eigen::Index c : groups.columns[g])
        for (Eigen::Index i = 0; i < X.rows(); ++i) P(i, c) = X(perm[static_cast<std::size_t>(i)], c);
      inc.push_back(error_of(predict(P), reference) - base_error);
    }
    GroupImportance gi;
    gi.group = groups.names[g];
    gi.mean = std::accumulate(inc.begin(), inc.end(), 0.0) / static_cast<double>(inc.size());
    double ss = 0;
    for (double v : inc) ss += (v - gi.mean) * (v - gi.mean);
    gi.std = std::sqrt(ss / static_cast<double>(inc.size()));
    out.push_back(gi);
  }
  sort_by_mean(out);
  return out;
}

std::vector<GroupImportance> shap_group_importance(const Eigen::MatrixXd& phi, const FeatureGroups& groups) {
  std::vector<GroupImportance> out;
  for (std::size_t g = 0; g < groups.names.size(); ++g) {
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(phi.rows());
    for (Eigen::Index c : groups.columns[g]) sum += phi.col(c);
    GroupImportance gi;
    gi.group = groups.names[g];
    gi.mean = sum.cwiseAbs().mean();
    gi.std = std::sqrt((sum.cwiseAbs().array() - gi.mean).square().mean());
    out.push_back(gi);
  }
  sort_by_mean(out);
  return out;
}

std::vector<PartialDependence> element_partial_dependence(const Model& model, std::size_t target, const Dataset& data,
                                                          int points) {
  if (!data.has_composition()) throw InvalidArgument("partial dependence: the data have no composition column");
  if (points < 2) throw InvalidArgument("partial dependence: needs at least 2 grid points");
  std::vector<PartialDependence> out;
  for (int z : data.elements()) {
    std::vector<std::size_t> rows;  // rows that hold something besides z, so the rest can be rescaled
    double top = 0;
    for (std::size_t i = 0; i < data.rows(); ++i) {
      top = std::max(top, data.compositions[i].fraction(z));
      if (data.compositions[i].fraction(z) < 1.0) rows.push_back(i);
    }
    if (rows.empty()) continue;
    PartialDependence pd;
    pd.element = std::string(element_symbol(z));
    Dataset d = data.subset(rows);
    for (int k = 0; k < points; ++k) {
      const double t = top * k / (points - 1);
      for (std::size_t i = 0; i < rows.size(); ++i) d.compositions[i] = with_fraction(data.compositions[rows[i]], z, t);
      pd.fraction.push_back(t);
      pd.mean.push_back(model.predict(d).at(target).mean.mean());
    }
    out.push_back(std::move(pd));
  }
  return out;
}

}  // namespace matopt
