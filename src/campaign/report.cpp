// SPDX-License-Identifier: MIT
// Campaign report: one self-contained index.html with inline SVG plots, plus the CSV tables behind them.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

#include "campaign/internal.hpp"
#include "campaign/svg.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/core/atomic_file.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/core/version.hpp"
#include "matopt/models/domain.hpp"
#include "matopt/models/explain.hpp"
#include "matopt/models/gaussian_process.hpp"
#include "matopt/models/surrogate.hpp"

namespace matopt {

using namespace campaign_detail;

namespace {

// Each proposal's applicability-domain score against the successful measurements, in the inputs the
// report's cross-validation GP reads (NaN for all with fewer than 2 measurements).
struct ProposalDomain {
  std::vector<double> score;
  double threshold = std::numeric_limits<double>::quiet_NaN();
};
ProposalDomain proposal_domain(const Campaign& c) {
  ProposalDomain d;
  d.score.assign(c.proposals().size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<const MeasurementRecord*> ok;
  for (const auto& m : c.measurements())
    if (!m.failed) ok.push_back(&m);
  if (ok.size() < 2 || c.proposals().empty()) return d;
  Eigen::MatrixXd pts(static_cast<Eigen::Index>(ok.size()), c.space().dimension());
  for (std::size_t i = 0; i < ok.size(); ++i) pts.row(static_cast<Eigen::Index>(i)) = ok[i]->point.transpose();
  Eigen::MatrixXd props(static_cast<Eigen::Index>(c.proposals().size()), c.space().dimension());
  for (std::size_t i = 0; i < c.proposals().size(); ++i) props.row(static_cast<Eigen::Index>(i)) = c.proposals()[i].point.transpose();
  ApplicabilityDomain domain;
  DomainOptions o;
  o.seed = derive_seed(c.seed(), 0xD0);
  domain.fit(point_features(c.space(), pts), o);
  const Eigen::VectorXd s = domain.score(point_features(c.space(), props));
  d.score.assign(s.data(), s.data() + s.size());
  d.threshold = domain.threshold();
  return d;
}

std::string num(double v) { return std::isfinite(v) ? format_double(v) : std::string(); }  // CSV tables
std::string shown(double v) { return std::isfinite(v) ? format_for_people(v) : std::string(); }  // HTML text

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

/// Two-sided central-interval half width in standard deviations for probability p.
double central_z(double p) {
  // Bisection on Phi(z) = 0.5 * erfc(-z / sqrt 2); plenty fast for a few dozen levels.
  const double target = 0.5 + p / 2.0;
  double lo = 0.0, hi = 10.0;
  for (int i = 0; i < 80; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

// The successful measurements of one output: their records, design points and values.
struct MeasuredRows {
  std::vector<const MeasurementRecord*> records;
  Eigen::MatrixXd points;
  Eigen::VectorXd y;
};

MeasuredRows measured_rows(const Campaign& c, int output) {
  MeasuredRows m;
  for (const auto& r : c.measurements())
    if (!r.failed && std::isfinite(r.outputs[output])) m.records.push_back(&r);
  m.points.resize(static_cast<Eigen::Index>(m.records.size()), c.space().dimension());
  m.y.resize(static_cast<Eigen::Index>(m.records.size()));
  for (std::size_t i = 0; i < m.records.size(); ++i) {
    m.points.row(static_cast<Eigen::Index>(i)) = m.records[i]->point.transpose();
    m.y[static_cast<Eigen::Index>(i)] = m.records[i]->outputs[output];
  }
  return m;
}

struct CvResult {
  std::vector<std::string> ids;
  std::vector<double> measured, mean, sd;
  std::vector<int> fold;
};

/// k-fold cross-validation of a GP on the design-point features of the successful measurements.
CvResult cross_validate(const Campaign& c, int output, std::uint64_t seed) {
  CvResult r;
  const MeasuredRows measured = measured_rows(c, output);
  const auto& rows = measured.records;
  const std::size_t n = rows.size();
  if (n < 5) return r;
  const std::size_t k = std::min<std::size_t>(5, n);
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Rng rng(derive_seed(seed, 0xC5ULL + static_cast<std::uint64_t>(output)));
  for (std::size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[uniform_index(rng, i + 1)]);
  const Eigen::VectorXd& y = measured.y;
  const Eigen::MatrixXd X = point_features(c.space(), measured.points);
  r.ids.resize(n);
  r.measured.resize(n);
  r.mean.resize(n);
  r.sd.resize(n);
  r.fold.resize(n);
  for (std::size_t f = 0; f < k; ++f) {
    std::vector<Eigen::Index> train, test;
    for (std::size_t i = 0; i < n; ++i) (i % k == f ? test : train).push_back(static_cast<Eigen::Index>(perm[i]));
    Eigen::MatrixXd Xtr(static_cast<Eigen::Index>(train.size()), X.cols()), Xte(static_cast<Eigen::Index>(test.size()), X.cols());
    Eigen::VectorXd ytr(static_cast<Eigen::Index>(train.size()));
    for (std::size_t i = 0; i < train.size(); ++i) {
      Xtr.row(static_cast<Eigen::Index>(i)) = X.row(train[i]);
      ytr[static_cast<Eigen::Index>(i)] = y[train[i]];
    }
    for (std::size_t i = 0; i < test.size(); ++i) Xte.row(static_cast<Eigen::Index>(i)) = X.row(test[i]);
    // the same GP settings propose() fits with (few-point priors), so the plots judge that model
    auto model = make_surrogate("gp", gp_options_with_few_point_priors(""), derive_seed(seed, 0xF0 + f));
    model->fit(Xtr, ytr);
    const Prediction p = model->predict(Xte);
    const Eigen::VectorXd sd = p.std();
    for (std::size_t i = 0; i < test.size(); ++i) {
      const auto j = static_cast<std::size_t>(test[i]);
      r.ids[j] = rows[j]->id;
      r.measured[j] = y[test[i]];
      r.mean[j] = p.mean[static_cast<Eigen::Index>(i)];
      r.sd[j] = sd[static_cast<Eigen::Index>(i)];
      r.fold[j] = static_cast<int>(f);
    }
  }
  return r;
}

// One element's partial dependence: the mean prediction over the measured points with the element's
// fraction set to each x (the other elements scaled to share the rest).
struct ElementCurve {
  std::string element;
  std::vector<double> x, y;
};

struct Drivers {
  std::vector<GroupImportance> importance;
  std::vector<ElementCurve> elements;
};

std::vector<ElementCurve> element_curves(const Campaign& c, const Surrogate& model, const Eigen::MatrixXd& pts) {
  std::vector<ElementCurve> out;
  const auto& els = c.space().spec().composition.elements;
  for (std::size_t e = 0; e < els.size(); ++e) {
    const auto ei = static_cast<Eigen::Index>(e);
    ElementCurve curve;
    curve.element = els[e].symbol;
    const double top = std::min(els[e].max, 1.0);
    for (int k = 0; k <= 10; ++k) {
      const double t = top * k / 10.0;
      Eigen::MatrixXd P = pts;
      for (Eigen::Index i = 0; i < P.rows(); ++i) {
        const double rest = 1.0 - pts(i, ei);
        for (Eigen::Index j = 0; j < static_cast<Eigen::Index>(els.size()); ++j)
          P(i, j) = j == ei ? t : (rest > 0 ? pts(i, j) * (1.0 - t) / rest : (1.0 - t) / static_cast<double>(els.size() - 1));
      }
      curve.x.push_back(t);
      curve.y.push_back(model.predict(point_features(c.space(), P)).mean.mean());
    }
    out.push_back(std::move(curve));
  }
  return out;
}

// What drives objective `output`, from a GP with propose's settings fitted on every successful
// measurement: permutation importance of each design coordinate (a categorical's one-hot columns
// together; 5 seeded repeats) and each element's partial dependence. Empty with fewer than 5
// measurements.
Drivers drivers(const Campaign& c, int output, std::uint64_t seed) {
  const MeasuredRows measured = measured_rows(c, output);
  const Eigen::MatrixXd& pts = measured.points;
  const Eigen::VectorXd& y = measured.y;
  if (pts.rows() < 5) return {};
  const Eigen::MatrixXd X = point_features(c.space(), pts);
  std::vector<std::string> labels;
  for (const auto& e : c.space().spec().composition.elements) labels.push_back(e.symbol);
  for (const auto& p : c.space().spec().process)
    for (std::size_t k = 0; k < (p.kind == ParameterKind::Categorical ? p.categories.size() : 1); ++k) labels.push_back(p.name);
  auto model = make_surrogate("gp", gp_options_with_few_point_priors(""), derive_seed(seed, 0xE1 + static_cast<std::uint64_t>(output)));
  model->fit(X, y);
  auto predict = [&](const Eigen::MatrixXd& P) { return model->predict(P).mean; };
  Drivers d;
  d.importance = permutation_importance(predict, X, y, group_features(labels), 5, derive_seed(seed, 0xE2));
  if (c.space().num_elements() > 1) d.elements = element_curves(c, *model, pts);
  return d;
}

// The "what drives each objective" section: a bar chart per objective and drivers_<k>.csv.
std::string drivers_section(const Campaign& c, std::uint64_t seed, const std::filesystem::path& dir,
                            std::vector<std::filesystem::path>& written) {
  std::ostringstream h;
  h << "<h2>What drives each objective</h2>\n<div class=\"plots\">\n";
  std::vector<std::string> missing;
  for (std::size_t k = 0; k < c.space().objectives().size(); ++k) {
    const Objective& obj = c.space().objectives()[k];
    if (c.space().oracle_source(obj.name).oracle >= 0) continue;  // computed exactly, not modelled
    const Drivers dr = drivers(c, obj.output, seed);
    if (dr.importance.empty()) {
      missing.push_back(obj.name);
      continue;
    }
    std::vector<std::string> labels;
    std::vector<double> mean, sd;
    std::vector<std::vector<std::string>> rows;
    for (const auto& g : dr.importance) {
      labels.push_back(g.group);
      mean.push_back(g.mean);
      sd.push_back(g.std);
      rows.push_back({g.group, format_double(g.mean), format_double(g.std)});
    }
    const auto file = dir / ("drivers_" + std::to_string(k) + ".csv");
    write_csv(file, {"coordinate", "mae_increase", "mae_increase_std"}, rows);
    written.push_back(file);
    h << svg_bars("Permutation importance: " + obj.name, "MAE increase when the coordinate is shuffled", labels, mean, sd);
    if (dr.elements.empty()) continue;
    static const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
    SvgPlot pd;
    pd.title = "Partial dependence: " + obj.name;
    pd.xlabel = "element fraction (the others scaled to share the rest)";
    pd.ylabel = "mean predicted " + obj.name;
    std::vector<std::vector<std::string>> pd_rows;
    for (std::size_t e = 0; e < dr.elements.size(); ++e) {
      SvgSeries line;
      line.label = dr.elements[e].element;
      line.color = kColors[e % 8];
      line.x = dr.elements[e].x;
      line.y = dr.elements[e].y;
      line.line = true;
      line.radius = 2;
      pd.series.push_back(line);
      for (std::size_t i = 0; i < line.x.size(); ++i)
        pd_rows.push_back({line.label, format_double(line.x[i]), format_double(line.y[i])});
    }
    h << pd.render();
    const auto pd_file = dir / ("partial_dependence_" + std::to_string(k) + ".csv");
    write_csv(pd_file, {"element", "fraction", obj.name + "_mean"}, pd_rows);
    written.push_back(pd_file);
  }
  h << "</div>\n";
  if (!missing.empty()) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    h << "<p><em>Importance needs at least 5 successful measurements (" << xml_escape(names) << ").</em></p>\n";
  }
  h << "<p><em>Each coordinate's columns are shuffled across the successful measurements and a GP with the settings "
       "of <code>propose</code> predicts again; the bar is the mean increase of its error over 5 shuffles (whisker ± 1 "
       "sd). A coordinate the objective does not depend on scores about 0. Partial dependence: the mean "
       "prediction over the measured points with one element's fraction set to each value.</em></p>\n";
  return h.str();
}

void write_text_atomic(const std::filesystem::path& path, const std::string& text) {
  AtomicFile f(path);
  {
    std::ofstream out(f.temp_path(), std::ios::binary);
    if (!out) throw IOError(path.string() + ": cannot write");
    out << text;
    if (!out.flush()) throw IOError(path.string() + ": write failed");
  }
  f.commit();
}

}  // namespace

std::vector<std::filesystem::path> write_campaign_report(const Campaign& c, const std::filesystem::path& dir,
                                                         std::uint64_t seed) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IOError(dir.string() + ": cannot create the report directory: " + ec.message());
  std::vector<std::filesystem::path> written;
  const DesignSpace& space = c.space();
  const auto& outs = space.output_names();
  const ProposalDomain domain = proposal_domain(c);
  const auto coords = space.coordinate_names();
  const auto& objs = space.objectives();
  const CampaignStatus st = c.status();

  // ---- tables ----
  {
    std::vector<std::string> h{"id", "proposal_id", "round", "status", "formula"};
    for (const auto& n : coords) h.push_back(n);
    for (const auto& o : outs) h.push_back(o);
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : c.measurements()) {
      std::vector<std::string> r{m.id, m.proposal_id, std::to_string(m.round), m.failed ? "failed" : "ok", m.formula};
      for (int i = 0; i < static_cast<int>(coords.size()); ++i) r.push_back(c.coordinate_text(i, m.point[i]));
      for (Eigen::Index k = 0; k < m.outputs.size(); ++k) r.push_back(num(m.outputs[k]));
      rows.push_back(std::move(r));
    }
    write_csv(dir / "measurements.csv", h, rows);
    written.push_back(dir / "measurements.csv");
  }
  {
    std::vector<std::string> h{"id", "round", "state", "strategy", "formula"};
    for (const auto& n : coords) h.push_back(n);
    for (const auto& o : outs) {
      h.push_back(o + "_mean");
      h.push_back(o + "_std");
    }
    h.push_back("acquisition");
    h.push_back("domain_score");
    std::vector<std::vector<std::string>> rows;
    for (std::size_t pi = 0; pi < c.proposals().size(); ++pi) {
      const ProposalRecord& p = c.proposals()[pi];
      std::vector<std::string> r{p.id, std::to_string(p.round), p.state, p.strategy, p.formula};
      for (int i = 0; i < static_cast<int>(coords.size()); ++i) r.push_back(c.coordinate_text(i, p.point[i]));
      for (Eigen::Index k = 0; k < p.predicted_mean.size(); ++k) {
        r.push_back(num(p.predicted_mean[k]));
        r.push_back(num(p.predicted_std[k]));
      }
      r.push_back(num(p.acquisition));
      r.push_back(num(domain.score[pi]));
      rows.push_back(std::move(r));
    }
    write_csv(dir / "proposals.csv", h, rows);
    written.push_back(dir / "proposals.csv");
  }
  const bool single = objs.size() == 1;
  {
    std::vector<std::vector<std::string>> rows;
    for (std::size_t r = 0; r < st.hypervolume.size(); ++r) {
      std::size_t n = 0;
      for (const auto& m : c.measurements())
        if (!m.failed && m.round <= static_cast<int>(r)) ++n;
      rows.push_back({std::to_string(r), std::to_string(n), num(st.hypervolume[r])});
    }
    write_csv(dir / "rounds.csv", {"round", "measurements", single ? "best_so_far" : "hypervolume"}, rows);
    written.push_back(dir / "rounds.csv");
  }
  {
    std::vector<std::string> h{"id"};
    for (const auto& n : st.objective_names) h.push_back(n);
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < st.pareto_ids.size(); ++i) {
      std::vector<std::string> r{st.pareto_ids[i]};
      for (Eigen::Index k = 0; k < st.pareto_values.cols(); ++k) r.push_back(num(st.pareto_values(static_cast<Eigen::Index>(i), k)));
      rows.push_back(std::move(r));
    }
    write_csv(dir / "pareto.csv", h, rows);
    written.push_back(dir / "pareto.csv");
  }

  // ---- plots ----
  std::vector<std::string> svgs;
  std::vector<std::string> notes;
  // Pareto front / objective by round.
  {
    SvgPlot p;
    SvgSeries meas, front, prop;
    meas.label = "measured";
    meas.color = "#7f7f7f";
    front.label = single ? "best so far" : "Pareto front (measured)";
    front.color = "#d62728";
    front.line = true;
    front.step = true;
    prop.label = "proposed (predicted mean ± 1 sd)";
    prop.color = "#1f77b4";
    prop.hollow = true;
    if (single) {
      const int o = objs[0].output;
      p.title = objs[0].name + " by round";
      p.xlabel = "round";
      p.ylabel = objs[0].name;
      std::vector<std::pair<int, double>> by;
      for (const auto& m : c.measurements())
        if (!m.failed && std::isfinite(m.outputs[o])) {
          meas.x.push_back(m.round);
          meas.y.push_back(m.outputs[o]);
        }
      for (std::size_t r = 0; r < st.hypervolume.size(); ++r) {
        front.x.push_back(static_cast<double>(r));
        front.y.push_back(st.hypervolume[r]);
      }
      front.points = false;
      for (const auto& pr : c.proposals()) {
        prop.x.push_back(pr.round + 0.2);
        prop.y.push_back(pr.predicted_mean[o]);
        prop.yerr.push_back(pr.predicted_std[o]);
      }
    } else {
      const int o0 = objs[0].output, o1 = objs[1].output;
      p.title = "Pareto front: " + objs[0].name + " vs " + objs[1].name;
      p.xlabel = objs[0].name;
      p.ylabel = objs[1].name;
      for (const auto& m : c.measurements())
        if (!m.failed) {
          meas.x.push_back(m.outputs[o0]);
          meas.y.push_back(m.outputs[o1]);
        }
      std::vector<std::pair<double, double>> f;
      for (Eigen::Index i = 0; i < st.pareto_values.rows(); ++i) f.emplace_back(st.pareto_values(i, 0), st.pareto_values(i, 1));
      std::sort(f.begin(), f.end());
      for (const auto& [a, b] : f) {
        front.x.push_back(a);
        front.y.push_back(b);
      }
      for (const auto& pr : c.proposals()) {
        if (pr.state != "pending") continue;
        prop.x.push_back(pr.predicted_mean[o0]);
        prop.y.push_back(pr.predicted_mean[o1]);
        prop.xerr.push_back(pr.predicted_std[o0]);
        prop.yerr.push_back(pr.predicted_std[o1]);
      }
      prop.label = "pending proposals (predicted mean ± 1 sd)";
    }
    p.series = {meas, front, prop};
    svgs.push_back(p.render());
  }
  // Hypervolume / best so far per round.
  {
    SvgPlot p;
    p.title = single ? "Best so far per round" : "Hypervolume per round";
    p.xlabel = "round";
    p.ylabel = single ? objs[0].name : "hypervolume";
    SvgSeries s;
    s.line = true;
    for (std::size_t r = 0; r < st.hypervolume.size(); ++r) {
      s.x.push_back(static_cast<double>(r));
      s.y.push_back(st.hypervolume[r]);
    }
    p.series = {s};
    svgs.push_back(p.render());
  }
  // Parity and calibration from cross-validation.
  std::vector<std::vector<std::string>> cal_rows;
  {
    SvgPlot cal;
    cal.title = "Calibration (5-fold CV)";
    cal.xlabel = "expected fraction inside central interval";
    cal.ylabel = "observed fraction";
    cal.diagonal = true;
    cal.xmin = cal.ymin = 0;
    cal.xmax = cal.ymax = 1;
    for (std::size_t k = 0; k < objs.size(); ++k) {
      const int o = objs[k].output;
      if (const OracleColumn src = c.space().oracle_source(objs[k].name); src.oracle >= 0) {
        notes.push_back(objs[k].name + " is computed by oracle '" + c.space().oracles()[static_cast<std::size_t>(src.oracle)].name +
                        "', not modelled: no cross-validation.");
        continue;
      }
      const CvResult cv = cross_validate(c, o, seed);
      if (cv.ids.empty()) {
        notes.push_back("Cross-validation of " + objs[k].name + " needs at least 5 successful measurements.");
        continue;
      }
      std::vector<std::vector<std::string>> rows;
      for (std::size_t i = 0; i < cv.ids.size(); ++i)
        rows.push_back({cv.ids[i], std::to_string(cv.fold[i]), num(cv.measured[i]), num(cv.mean[i]), num(cv.sd[i])});
      const auto file = dir / ("cv_" + std::to_string(k) + ".csv");
      write_csv(file, {"id", "fold", objs[k].name + "_measured", "predicted_mean", "predicted_std"}, rows);
      written.push_back(file);
      SvgPlot par;
      par.title = "Parity (5-fold CV): " + objs[k].name;
      par.xlabel = "measured";
      par.ylabel = "predicted (mean ± 1 sd)";
      par.diagonal = true;
      par.equal_ranges = true;
      SvgSeries s;
      s.x = cv.measured;
      s.y = cv.mean;
      s.yerr = cv.sd;
      s.color = kColors[k % 6];
      par.series = {s};
      svgs.push_back(par.render());
      SvgSeries cs;
      cs.label = objs[k].name;
      cs.color = kColors[k % 6];
      cs.line = true;
      for (int level = 1; level <= 19; ++level) {
        const double p = level / 20.0;
        const double z = central_z(p);
        std::size_t inside = 0;
        for (std::size_t i = 0; i < cv.ids.size(); ++i)
          if (std::abs(cv.measured[i] - cv.mean[i]) <= z * cv.sd[i]) ++inside;
        const double obs = static_cast<double>(inside) / static_cast<double>(cv.ids.size());
        cs.x.push_back(p);
        cs.y.push_back(obs);
        cal_rows.push_back({objs[k].name, format_double(p), format_double(obs)});
      }
      cal.series.push_back(cs);
    }
    if (!cal.series.empty()) svgs.push_back(cal.render());
    write_csv(dir / "calibration.csv", {"objective", "expected", "observed"}, cal_rows);
    written.push_back(dir / "calibration.csv");
  }

  // ---- page ----
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>matopt campaign report</title>\n"
    << "<style>body{font-family:sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse;font-size:12px}"
    << "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}.plots svg{margin:6px;border:1px solid #ddd;vertical-align:top}</style>"
    << "</head><body>\n";
  h << "<h1>Campaign report</h1>\n<p>" << xml_escape(c.path().filename().string()) << " &middot; seed " << c.seed()
    << " &middot; matopt " << xml_escape(version()) << "</p>\n";
  h << "<pre>" << xml_escape(st.to_text()) << "</pre>\n";
  h << "<div class=\"plots\">\n";
  for (const auto& s : svgs) h << s;
  h << "</div>\n";
  for (const auto& n : notes) h << "<p><em>" << xml_escape(n) << "</em></p>\n";
  h << drivers_section(c, seed, dir, written);
  h << "<h2>Pending proposals</h2>\n<table><tr><th>id</th><th>formula</th>";
  for (const auto& o : outs) h << "<th>" << xml_escape(o) << " mean</th><th>sd</th>";
  h << "<th>acquisition</th><th>domain score</th></tr>\n";
  for (std::size_t pi = 0; pi < c.proposals().size(); ++pi) {
    const ProposalRecord& p = c.proposals()[pi];
    if (p.state != "pending") continue;
    h << "<tr><td>" << xml_escape(p.id) << "</td><td>" << xml_escape(p.formula) << "</td>";
    for (Eigen::Index k = 0; k < p.predicted_mean.size(); ++k)
      h << "<td>" << shown(p.predicted_mean[k]) << "</td><td>" << shown(p.predicted_std[k]) << "</td>";
    const double ds = domain.score[pi];
    h << "<td>" << shown(p.acquisition) << "</td><td>" << shown(ds)
      << (ds > domain.threshold ? " (outside)" : "") << "</td></tr>\n";
  }
  h << "</table>\n";
  if (std::isfinite(domain.threshold))
    h << "<p><em>Domain score: distance to the nearest successful measurement in units of their typical spacing; "
         "above "
      << shown(domain.threshold) << " (the 95 % quantile of cross-validation scores) the model is extrapolating.</em></p>\n";
  h << "<h2>History</h2>\n<table><tr><th>time</th><th>command</th><th>seed</th><th>summary</th></tr>\n";
  for (const auto& e : c.history())
    h << "<tr><td>" << xml_escape(e.time) << "</td><td>" << xml_escape(e.command) << "</td><td>" << e.seed
      << "</td><td style=\"text-align:left\">" << xml_escape(e.summary) << "</td></tr>\n";
  h << "</table>\n<p>Tables: ";
  for (const auto& f : written) h << "<a href=\"" << xml_escape(f.filename().string()) << "\">" << xml_escape(f.filename().string()) << "</a> ";
  h << "</p>\n</body></html>\n";
  write_text_atomic(dir / "index.html", h.str());
  written.push_back(dir / "index.html");
  return written;
}

}  // namespace matopt
