// SPDX-License-Identifier: MIT
#include <algorithm>
#include <cmath>

#include "matopt/core/error.hpp"
#include "matopt/models/distribution.hpp"
#include "matopt/models/model.hpp"
#include "matopt/models/domain.hpp"

namespace matopt {

namespace {

// One target's columns: name suffix and values.
struct TargetColumns {
  std::vector<std::pair<std::string, Eigen::VectorXd>> columns;
  void add(const std::string& name, Eigen::VectorXd v) { columns.emplace_back(name, std::move(v)); }
};

TargetColumns target_columns(const std::string& name, const Prediction& p, bool classification) {
  const PredictiveDistribution d = distribution_of(p);
  TargetColumns out;
  const Eigen::VectorXd mean = d.means(), sd = d.stds();
  // σ split in the model's own proportions of epistemic to total variance.
  Eigen::VectorXd epi(mean.size()), ale(mean.size());
  for (Eigen::Index i = 0; i < mean.size(); ++i) {
    const double total = p.variance[i];
    const double f = total > 0 && p.epistemic_variance.size() == mean.size()
                         ? std::clamp(p.epistemic_variance[i] / total, 0.0, 1.0) : 1.0;
    epi[i] = sd[i] * std::sqrt(f);
    ale[i] = sd[i] * std::sqrt(1.0 - f);
  }
  out.add(name + "_mean", mean);
  out.add(name + "_std", sd);
  out.add(name + "_epistemic_std", epi);
  out.add(name + "_aleatoric_std", ale);
  out.add(name + "_median", d.quantiles(0.5));
  out.add(name + "_q05", d.quantiles(0.05));
  out.add(name + "_q95", d.quantiles(0.95));
  if (p.conformal_lower.size() == mean.size() && p.conformal_upper.size() == mean.size()) {
    out.add(name + "_conformal_lower", p.conformal_lower);
    out.add(name + "_conformal_upper", p.conformal_upper);
  }
  if (d.kind == DistributionKind::Hurdle) out.add(name + "_p_positive", d.p_positive);
  if (classification) {
    const Eigen::VectorXd prob = d.kind == DistributionKind::Bernoulli ? d.probability : p.mean;
    const double threshold = d.kind == DistributionKind::Bernoulli ? d.threshold : 0.5;
    out.add(name + "_probability", prob);
    out.add(name + "_label", (prob.array() >= threshold).cast<double>().matrix());
  }
  return out;
}

}  // namespace

PredictionTable prediction_table(const Model& model, const Dataset& data, bool with_domain) {
  if (model.targets().empty()) throw InvalidArgument("Model::predict: the model is not trained");
  const Eigen::MatrixXd X = model.features(data);  // once, for the predictions and the domain
  const std::vector<Prediction> preds = model.predict_features(X);
  std::vector<TargetColumns> parts;
  for (std::size_t t = 0; t < preds.size(); ++t)
    parts.push_back(target_columns(model.targets()[t].name, preds[t], model.targets()[t].classification));
  PredictionTable table;
  for (const auto& part : parts)
    for (const auto& [n, v] : part.columns) table.columns.push_back(n);
  table.values.resize(static_cast<Eigen::Index>(data.rows()), static_cast<Eigen::Index>(table.columns.size()));
  Eigen::Index c = 0;
  for (const auto& part : parts)
    for (const auto& [n, v] : part.columns) table.values.col(c++) = v;
  if (const ApplicabilityDomain* domain = with_domain ? model.domain() : nullptr) {
    const Eigen::VectorXd score = domain->score(X);
    table.columns.push_back("domain_score");
    table.columns.push_back("in_domain");
    table.values.conservativeResize(Eigen::NoChange, c + 2);
    table.values.col(c) = score;
    table.values.col(c + 1) = (score.array() <= domain->threshold()).cast<double>().matrix();
  }
  return table;
}

}  // namespace matopt
