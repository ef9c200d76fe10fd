// SPDX-License-Identifier: MIT
// Campaign::add_results: measurements handed over as values (the in-memory counterpart of ingesting a
// results file), and the campaign's hypervolume reference point.
#include <cmath>
#include <map>
#include <optional>

#include "campaign/internal.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/campaign/lock.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

using namespace campaign_detail;

namespace {

std::string row_text(std::size_t i) { return "add_results: row " + std::to_string(i + 1) + ": "; }

/// Every problem of the rows, checked before anything is added.
void validate_rows(const Campaign& c, const std::vector<ResultRow>& rows) {
  const auto m = static_cast<Eigen::Index>(c.space().output_names().size());
  std::map<std::string, const ProposalRecord*> pending;
  for (const auto& p : c.proposals())
    if (p.state == "pending") pending[p.id] = &p;
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ResultRow& r = rows[i];
    if (!r.proposal_id.empty()) {
      if (!pending.count(r.proposal_id))
        throw InvalidArgument(row_text(i) + "proposal_id '" + r.proposal_id + "' is not a pending proposal of this campaign");
      if (!seen.emplace(r.proposal_id, i).second)
        throw InvalidArgument(row_text(i) + "proposal_id '" + r.proposal_id + "' is answered twice (also row " +
                              std::to_string(seen[r.proposal_id] + 1) + ")");
    } else {
      if (r.point.size() != c.space().dimension())
        throw InvalidArgument(row_text(i) + "point has " + std::to_string(r.point.size()) + " coordinates, expected " +
                              std::to_string(c.space().dimension()));
      if (!r.point.allFinite()) throw InvalidArgument(row_text(i) + "point: expected finite coordinates");
    }
    if (r.failed) continue;
    if (r.outputs.size() != m)
      throw InvalidArgument(row_text(i) + "outputs has " + std::to_string(r.outputs.size()) + " values, expected " +
                            std::to_string(m) + " (one per output: NaN = not measured)");
    for (Eigen::Index k = 0; k < m; ++k) {
      const std::string& name = c.space().output_names()[static_cast<std::size_t>(k)];
      if (const OracleColumn src = c.space().oracle_source(name); src.oracle >= 0 && !std::isnan(r.outputs[k]))
        throw InvalidArgument(row_text(i) + name + ": computed by oracle '" +
                              c.space().oracles()[static_cast<std::size_t>(src.oracle)].name + "'; pass NaN");
      if (std::isinf(r.outputs[k]))
        throw InvalidArgument(row_text(i) + c.space().output_names()[static_cast<std::size_t>(k)] +
                              ": expected a finite number or NaN (not measured)");
    }
  }
}

}  // namespace

IngestSummary Campaign::add_results(const std::vector<ResultRow>& rows, const std::string& source,
                                    const std::vector<std::string>& argv) {
  std::optional<CampaignLock> lock;
  if (!is_in_memory()) {
    lock.emplace(path_, CampaignLock::default_timeout());
    load_from(path_);
  }
  validate_rows(*this, rows);
  std::vector<MeasurementRecord> before_measurements;
  std::vector<ProposalRecord> before_proposals;
  if (space_.has_oracles()) {
    before_measurements = measurements_;
    before_proposals = proposals_;
  }
  const auto m = static_cast<Eigen::Index>(space_.output_names().size());
  std::map<std::string, ProposalRecord*> by_id;
  for (auto& p : proposals_) by_id[p.id] = &p;
  IngestSummary s;
  s.rows = rows.size();
  for (const ResultRow& r : rows) {
    MeasurementRecord rec;
    rec.id = std::string("m").append(std::to_string(measurements_.size() + 1));
    rec.proposal_id = r.proposal_id;
    rec.failed = r.failed;
    rec.outputs = r.failed ? Eigen::VectorXd::Constant(m, std::nan("")) : r.outputs;
    rec.round = rounds_;
    if (!r.proposal_id.empty()) {
      ProposalRecord* p = by_id.at(r.proposal_id);
      p->state = r.failed ? "failed" : "measured";
      rec.round = p->round;
      rec.point = p->point;
      s.closed.push_back(p->id);
    } else {
      rec.point = r.point;
    }
    rec.formula = formula_of(rec.point);
    rec.source = source;
    rec.key = measurement_key(rec.proposal_id, rec.point, rec.outputs, rec.failed);
    ++s.added;
    if (r.failed) ++s.failed;
    measurements_.push_back(std::move(rec));
  }
  if (!s.changed()) return s;
  fill_new_oracle_outputs(s.added, before_measurements, before_proposals);
  add_history("ingest",
              source + ": " + std::to_string(s.added) + " new measurements (" + std::to_string(s.failed) + " failed), " +
                  std::to_string(s.closed.size()) + " proposals closed",
              seed_, argv);
  if (!is_in_memory()) save();
  return s;
}

ReferencePoint Campaign::reference_point() const {
  const auto& objs = space_.objectives();
  const auto m = static_cast<Eigen::Index>(space_.output_names().size());
  std::vector<Eigen::VectorXd> ok;
  for (const auto& r : measurements_)
    if (!r.failed && r.outputs.size() == m) ok.push_back(r.outputs);
  Eigen::MatrixXd Y(static_cast<Eigen::Index>(ok.size()), m);
  for (std::size_t i = 0; i < ok.size(); ++i) Y.row(static_cast<Eigen::Index>(i)) = ok[i].transpose();
  return objective_reference_point(objs, Y);
}

}  // namespace matopt
