// SPDX-License-Identifier: MIT
#include "matopt/acquisition/reference_point.hpp"

#include <cmath>

#include "matopt/acquisition/pareto.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

Eigen::VectorXd front_reference_point(const Eigen::MatrixXd& Y, double margin) {
  std::vector<Eigen::Index> complete;
  for (Eigen::Index i = 0; i < Y.rows(); ++i)
    if (Y.row(i).allFinite()) complete.push_back(i);
  if (complete.empty() || Y.cols() == 0)
    throw InvalidArgument("front_reference_point: no observation has a value for every objective");
  const Eigen::MatrixXd front = pareto_front(Y(complete, Eigen::all));
  const Eigen::VectorXd nadir = front.colwise().minCoeff().transpose();
  const Eigen::VectorXd ideal = front.colwise().maxCoeff().transpose();
  Eigen::VectorXd ref(Y.cols());
  for (Eigen::Index k = 0; k < Y.cols(); ++k) {
    const double range = ideal[k] - nadir[k];
    const double scale = range > 0.0 ? range : (nadir[k] != 0.0 ? std::abs(nadir[k]) : 1.0);
    ref[k] = nadir[k] - margin * scale;
  }
  return ref;
}

Eigen::VectorXd ReferencePoint::original_units(const std::vector<Objective>& objectives) const {
  Eigen::VectorXd out = value;
  for (Eigen::Index k = 0; k < out.size() && k < static_cast<Eigen::Index>(objectives.size()); ++k)
    if (objectives[static_cast<std::size_t>(k)].goal == Goal::Minimize) out[k] = -out[k];
  return out;
}

std::string ReferencePoint::summary() const {
  std::size_t stated = 0;
  for (const auto& s : source) stated += s == "threshold";
  if (stated == source.size()) return "threshold";
  return stated == 0 ? "front" : "mixed";
}

ReferencePoint objective_reference_point(const std::vector<Objective>& objectives, const Eigen::MatrixXd& outputs) {
  const auto m = static_cast<Eigen::Index>(objectives.size());
  ReferencePoint r;
  r.value.resize(m);
  bool need_front = false;
  for (Eigen::Index k = 0; k < m; ++k) {
    const Objective& o = objectives[static_cast<std::size_t>(k)];
    const bool stated = !std::isnan(o.threshold);
    r.source.push_back(stated ? "threshold" : "front");
    if (stated) r.value[k] = o.goal == Goal::Minimize ? -o.threshold : o.threshold;
    else need_front = true;
  }
  if (!need_front) return r;
  const Eigen::MatrixXd Y = outputs.rows() > 0 ? to_maximization(outputs, objectives) : Eigen::MatrixXd(0, m);
  bool any = false;
  for (Eigen::Index i = 0; i < Y.rows() && !any; ++i) any = Y.row(i).allFinite();
  if (!any) {
    r.value.resize(0);
    return r;
  }
  const Eigen::VectorXd front = front_reference_point(Y);
  for (Eigen::Index k = 0; k < m; ++k)
    if (r.source[static_cast<std::size_t>(k)] == "front") r.value[k] = front[k];
  return r;
}

}  // namespace matopt
