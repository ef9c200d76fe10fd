// SPDX-License-Identifier: MIT
// Campaign status: best values, Pareto set and hypervolume per round.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "campaign/internal.hpp"
#include "matopt/acquisition/hypervolume.hpp"
#include "matopt/acquisition/pareto.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/core/csv.hpp"

namespace matopt {

using namespace campaign_detail;

namespace {

// Hypervolume of the rows that are finite in every objective (a measurement may lack one).
double finite_rows_hypervolume(const Eigen::MatrixXd& Y, const Eigen::VectorXd& ref) {
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < Y.rows(); ++i)
    if (Y.row(i).allFinite()) rows.push_back(i);
  Eigen::MatrixXd finite(static_cast<Eigen::Index>(rows.size()), Y.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) finite.row(static_cast<Eigen::Index>(i)) = Y.row(rows[i]);
  return hypervolume(finite, ref);
}

}  // namespace

CampaignStatus Campaign::status() const {
  CampaignStatus s;
  s.rounds = rounds_;
  const auto& objs = space_.objectives();
  const auto nobj = static_cast<Eigen::Index>(objs.size());
  for (const auto& o : objs) {
    s.objective_names.push_back(o.name);
    s.goals.push_back(o.goal == Goal::Maximize ? "maximize" : o.goal == Goal::Minimize ? "minimize" : "target");
  }
  std::vector<const MeasurementRecord*> ok;
  for (const auto& m : measurements_) {
    if (m.failed) ++s.failed;
    else ok.push_back(&m);
  }
  s.measurements = ok.size();
  for (const auto& p : proposals_)
    if (p.state == "pending") {
      ++s.pending;
      s.pending_ids.push_back(p.id);
    }

  const auto m = static_cast<Eigen::Index>(space_.output_names().size());
  Eigen::MatrixXd outs(static_cast<Eigen::Index>(ok.size()), m);
  for (std::size_t i = 0; i < ok.size(); ++i) outs.row(static_cast<Eigen::Index>(i)) = ok[i]->outputs.transpose();
  const Eigen::MatrixXd Y = to_maximization(outs, objs);

  s.best.assign(objs.size(), std::nan(""));
  s.best_id.assign(objs.size(), "");
  for (Eigen::Index k = 0; k < nobj; ++k) {
    double bv = -std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < Y.rows(); ++i)
      if (std::isfinite(Y(i, k)) && Y(i, k) > bv) {
        bv = Y(i, k);
        s.best[static_cast<std::size_t>(k)] = outs(i, objs[static_cast<std::size_t>(k)].output);
        s.best_id[static_cast<std::size_t>(k)] = ok[static_cast<std::size_t>(i)]->id;
      }
  }
  const auto front = nondominated_indices(Y);
  s.pareto_values.resize(static_cast<Eigen::Index>(front.size()), nobj);
  for (std::size_t j = 0; j < front.size(); ++j) {
    s.pareto_ids.push_back(ok[static_cast<std::size_t>(front[j])]->id);
    for (Eigen::Index k = 0; k < nobj; ++k)
      s.pareto_values(static_cast<Eigen::Index>(j), k) = outs(front[j], objs[static_cast<std::size_t>(k)].output);
  }

  // Reference point: the one proposals use (thresholds, else inferred from the final Pareto front),
  // fixed for every round so that the per-round values are comparable.
  const ReferencePoint rp = reference_point();
  const bool have_ref = rp.value.size() == nobj;
  const Eigen::VectorXd ref = have_ref ? rp.value : Eigen::VectorXd::Zero(nobj);
  s.ref_point = have_ref ? rp.original_units(objs) : Eigen::VectorXd();
  s.ref_point_source = have_ref ? rp.summary() : "";

  for (int r = 0; r <= rounds_; ++r) {
    std::vector<Eigen::Index> rows;
    for (std::size_t i = 0; i < ok.size(); ++i)
      if (ok[i]->round <= r) rows.push_back(static_cast<Eigen::Index>(i));
    Eigen::MatrixXd Yr(static_cast<Eigen::Index>(rows.size()), nobj);
    for (std::size_t i = 0; i < rows.size(); ++i) Yr.row(static_cast<Eigen::Index>(i)) = Y.row(rows[i]);
    double v = std::nan("");
    if (nobj == 1) {
      // One objective: best so far in original units is the figure a scientist reads.
      double bv = -std::numeric_limits<double>::infinity();
      Eigen::Index bi = -1;
      for (Eigen::Index i = 0; i < Yr.rows(); ++i)
        if (std::isfinite(Yr(i, 0)) && Yr(i, 0) > bv) { bv = Yr(i, 0); bi = rows[static_cast<std::size_t>(i)]; }
      if (bi >= 0) v = outs(bi, objs[0].output);
    } else if (have_ref && Yr.rows() > 0) {
      v = finite_rows_hypervolume(Yr, ref);
    }
    s.hypervolume.push_back(v);
  }
  return s;
}

namespace {
nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
}  // namespace

std::string CampaignStatus::to_json() const {
  nlohmann::json j;
  j["rounds"] = rounds;
  j["measurements"] = measurements;
  j["failed"] = failed;
  j["pending"] = pending;
  j["pending_ids"] = pending_ids;
  nlohmann::json objs = nlohmann::json::array();
  for (std::size_t k = 0; k < objective_names.size(); ++k)
    objs.push_back({{"name", objective_names[k]}, {"goal", goals[k]}, {"best", num(best[k])}, {"best_id", best_id[k]}});
  j["objectives"] = objs;
  nlohmann::json front = nlohmann::json::array();
  for (std::size_t i = 0; i < pareto_ids.size(); ++i) {
    nlohmann::json vals = nlohmann::json::array();
    for (Eigen::Index k = 0; k < pareto_values.cols(); ++k) vals.push_back(num(pareto_values(static_cast<Eigen::Index>(i), k)));
    front.push_back({{"id", pareto_ids[i]}, {"values", vals}});
  }
  j["pareto"] = front;
  nlohmann::json ref = nlohmann::json::array();
  for (Eigen::Index k = 0; k < ref_point.size(); ++k) ref.push_back(num(ref_point[k]));
  j["ref_point"] = ref;
  j["ref_point_source"] = ref_point_source;
  nlohmann::json hv = nlohmann::json::array();
  for (double v : hypervolume) hv.push_back(num(v));
  j[objective_names.size() == 1 ? "best_per_round" : "hypervolume_per_round"] = hv;
  return j.dump(2);
}

std::string CampaignStatus::to_text() const {
  std::ostringstream o;
  o << "rounds: " << rounds << "   measurements: " << measurements << " ok, " << failed << " failed   pending: "
    << pending << "\n";
  for (std::size_t k = 0; k < objective_names.size(); ++k)
    o << "best " << objective_names[k] << " (" << goals[k] << "): "
      << (std::isfinite(best[k]) ? format_for_people(best[k]) : std::string("-"))
      << (best_id[k].empty() ? "" : "  [" + best_id[k] + "]") << "\n";
  if (objective_names.size() > 1) {
    o << "Pareto set (" << pareto_ids.size() << "):";
    for (const auto& id : pareto_ids) o << " " << id;
    o << "\n";
  }
  if (objective_names.size() > 1 && ref_point.size() > 0) {
    o << "reference point (" << (ref_point_source == "threshold" ? "objective thresholds"
                                 : ref_point_source == "front" ? "inferred from the Pareto front"
                                                               : "thresholds where stated, else from the Pareto front")
      << "):";
    for (Eigen::Index k = 0; k < ref_point.size(); ++k) o << " " << format_for_people(ref_point[k]);
    o << "\n";
  }
  o << (objective_names.size() == 1 ? "best so far per round:" : "hypervolume per round:");
  for (std::size_t r = 0; r < hypervolume.size(); ++r)
    o << "  " << r << ":" << (std::isfinite(hypervolume[r]) ? format_for_people(hypervolume[r]) : std::string("-"));
  o << "\n";
  if (!pending_ids.empty()) {
    o << "pending:";
    for (const auto& id : pending_ids) o << " " << id;
    o << "\n";
  }
  return o.str();
}

}  // namespace matopt
