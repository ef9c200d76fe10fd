// SPDX-License-Identifier: MIT
// Campaign state: creation, the HDF5 layout (docs/campaign.md), history and the lab CSV.
#include "matopt/campaign/campaign.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

#include "campaign/internal.hpp"
#include "matopt/campaign/lock.hpp"
#include "matopt/core/archive.hpp"
#include "matopt/core/composition.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/dataset.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/version.hpp"
#include "matopt/optimize/pool.hpp"

namespace matopt {

using namespace campaign_detail;

namespace {

std::string join_problems(const std::vector<IngestProblem>& problems) {
  std::string out = std::to_string(problems.size()) + " problem" + (problems.size() == 1 ? "" : "s") +
                    " in the results file; nothing was written:";
  for (const auto& p : problems) out += "\n  " + format_location(p.where, p.message);
  return out;
}

std::vector<std::string> argv_or_library(const std::vector<std::string>& argv) {
  return argv.empty() ? std::vector<std::string>{"library"} : argv;
}

// Stores rows of records column-wise; groups are written only when non-empty (a zero-row dataset
// carries no information and some HDF5 readers dislike it), and `count` says how many rows there are.
Eigen::MatrixXd stack_rows(const std::vector<Eigen::VectorXd>& rows, Eigen::Index cols) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), cols);
  for (std::size_t i = 0; i < rows.size(); ++i) m.row(static_cast<Eigen::Index>(i)) = rows[i].transpose();
  return m;
}

}  // namespace

IngestError::IngestError(std::vector<IngestProblem> problems)
    : DataError(join_problems(problems)), problems_(std::move(problems)) {}

namespace campaign_detail {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string measurement_key(const std::string& proposal_id, const Eigen::VectorXd& point,
                            const Eigen::VectorXd& outputs, bool failed) {
  if (!proposal_id.empty()) return "id:" + proposal_id;
  std::string key = failed ? "failed|" : "ok|";
  for (Eigen::Index i = 0; i < point.size(); ++i) key += format_double(point[i]) + ",";
  key += "|";
  for (Eigen::Index i = 0; i < outputs.size(); ++i) key += format_double(outputs[i]) + ",";
  return key;
}

Eigen::MatrixXd point_features(const DesignSpace& space, const Eigen::MatrixXd& points) {
  const auto& spec = space.spec();
  const int ne = space.num_elements();
  int width = ne;
  for (const auto& p : spec.process)
    width += p.kind == ParameterKind::Categorical ? static_cast<int>(p.categories.size()) : 1;
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(points.rows(), width);
  for (Eigen::Index r = 0; r < points.rows(); ++r) {
    int c = 0;
    for (int e = 0; e < ne; ++e) X(r, c++) = points(r, e);
    for (int k = 0; k < space.num_process(); ++k) {
      const auto& p = spec.process[static_cast<std::size_t>(k)];
      const double v = points(r, ne + k);
      if (p.kind == ParameterKind::Categorical) {
        const int idx = static_cast<int>(std::lround(v));
        if (idx >= 0 && idx < static_cast<int>(p.categories.size())) X(r, c + idx) = 1.0;
        c += static_cast<int>(p.categories.size());
      } else {
        // Log-scaled parameters are modelled in log space, where their effect is usually smoother.
        X(r, c++) = (p.log_scale && v > 0) ? std::log(v) : v;
      }
    }
  }
  return X;
}

}  // namespace campaign_detail

// ---------------------------------------------------------------------------------------------------
// Helpers on points

std::string Campaign::formula_of(const Eigen::VectorXd& point) const { return space_.formula_of(point, 10); }

std::string Campaign::coordinate_text(int index, double value) const { return space_.coordinate_text(index, value); }

// ---------------------------------------------------------------------------------------------------
// File I/O

void Campaign::save() const {
  Archive root;
  root.set_attr("seed", static_cast<std::int64_t>(seed_));  // bit pattern of the uint64 seed
  root.set_attr("seed_text", std::to_string(seed_));
  root.set_attr("created", created_);
  root.set_attr("matopt_version", version());
  root.set_attr("rounds", static_cast<std::int64_t>(rounds_));

  const Eigen::Index d = space_.dimension();
  const Eigen::Index m = static_cast<Eigen::Index>(space_.output_names().size());

  Archive& sp = root.child("space");
  sp.set("json", std::vector<std::string>{space_json_});
  sp.set("coordinates", space_.coordinate_names());
  sp.set("outputs", space_.output_names());
  sp.set_attr("pool_rows", static_cast<std::int64_t>(pool_.rows()));
  if (pool_.rows() > 0) sp.set("pool", pool_);

  Archive& ms = root.child("measurements");
  ms.set_attr("count", static_cast<std::int64_t>(measurements_.size()));
  if (!measurements_.empty()) {
    std::vector<std::string> id, pid, formula, source, key, status;
    std::vector<std::int64_t> round;
    std::vector<Eigen::VectorXd> pts, outs;
    for (const auto& r : measurements_) {
      id.push_back(r.id);
      pid.push_back(r.proposal_id);
      formula.push_back(r.formula);
      source.push_back(r.source);
      key.push_back(r.key);
      status.push_back(r.failed ? "failed" : "ok");
      round.push_back(r.round);
      pts.push_back(r.point);
      outs.push_back(r.outputs);
    }
    ms.set("id", id);
    ms.set("proposal_id", pid);
    ms.set("formula", formula);
    ms.set("source", source);
    ms.set("key", key);
    ms.set("status", status);
    ms.set("round", round);
    ms.set("point", stack_rows(pts, d));
    ms.set("outputs", stack_rows(outs, m));
  }

  Archive& ps = root.child("proposals");
  ps.set_attr("count", static_cast<std::int64_t>(proposals_.size()));
  if (!proposals_.empty()) {
    std::vector<std::string> id, state, formula, strategy;
    std::vector<std::int64_t> round;
    std::vector<Eigen::VectorXd> pts, mean, sd;
    Eigen::VectorXd acq(static_cast<Eigen::Index>(proposals_.size()));
    for (std::size_t i = 0; i < proposals_.size(); ++i) {
      const auto& p = proposals_[i];
      id.push_back(p.id);
      state.push_back(p.state);
      formula.push_back(p.formula);
      strategy.push_back(p.strategy);
      round.push_back(p.round);
      pts.push_back(p.point);
      mean.push_back(p.predicted_mean);
      sd.push_back(p.predicted_std);
      acq[static_cast<Eigen::Index>(i)] = p.acquisition;
    }
    ps.set("id", id);
    ps.set("state", state);
    ps.set("formula", formula);
    ps.set("strategy", strategy);
    ps.set("round", round);
    ps.set("point", stack_rows(pts, d));
    ps.set("predicted_mean", stack_rows(mean, m));
    ps.set("predicted_std", stack_rows(sd, m));
    ps.set("acquisition", acq);
  }

  Archive& hs = root.child("history");
  hs.set_attr("count", static_cast<std::int64_t>(history_.size()));
  if (!history_.empty()) {
    std::vector<std::string> time, command, argv, ver, summary;
    std::vector<std::int64_t> seed;
    for (const auto& h : history_) {
      time.push_back(h.time);
      command.push_back(h.command);
      argv.push_back(nlohmann::json(h.argv).dump());
      ver.push_back(h.version);
      summary.push_back(h.summary);
      seed.push_back(static_cast<std::int64_t>(h.seed));
    }
    hs.set("time", time);
    hs.set("command", command);
    hs.set("argv", argv);
    hs.set("version", ver);
    hs.set("summary", summary);
    hs.set("seed", seed);
  }
  if (space_.has_oracles()) {
    // Written only for spaces with oracles, so other campaign files keep their layout.
    Archive& oc = root.child("oracle_cache");
    for (const auto& o : space_.oracles()) {
      Archive& g = oc.child(o.name);
      Eigen::MatrixXd points, values;
      oracle_cache_.table(o.name, points, values);
      g.set_attr("count", static_cast<std::int64_t>(points.rows()));
      g.set("outputs", o.outputs);
      if (points.rows() > 0) {
        g.set("points", points);
        g.set("values", values);
      }
    }
  }
  save_archive(root, path_, kFormat, kVersion);
}

void Campaign::load_from(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw IOError(path.string() + ": campaign file does not exist");
  const Archive root = load_archive(path, kFormat, kVersion);
  const std::string where = path.string() + ": ";
  path_ = path;
  seed_ = static_cast<std::uint64_t>(root.attr_int("seed"));
  created_ = root.attr_string("created");
  rounds_ = static_cast<int>(root.attr_int("rounds"));

  const Archive& sp = root.child("space");
  space_json_ = sp.strings("json").at(0);
  try {
    space_ = DesignSpace::from_json_text(space_json_);
  } catch (const Error& e) {
    throw IOError(where + "stored design space cannot be read: " + e.what());
  }
  const auto d = static_cast<Eigen::Index>(space_.dimension());
  const auto m = static_cast<Eigen::Index>(space_.output_names().size());
  pool_.resize(0, d);
  if (sp.attr_int("pool_rows") > 0) pool_ = sp.matrix("pool");
  if (pool_.rows() > 0 && pool_.cols() != d) throw IOError(where + "/space/pool has the wrong number of columns");

  auto check = [&](const Eigen::MatrixXd& mat, Eigen::Index rows, Eigen::Index cols, const std::string& name) {
    if (mat.rows() != rows || mat.cols() != cols)
      throw IOError(where + name + " is " + std::to_string(mat.rows()) + "x" + std::to_string(mat.cols()) +
                    ", expected " + std::to_string(rows) + "x" + std::to_string(cols));
  };

  measurements_.clear();
  const Archive& ms = root.child("measurements");
  const auto nm = static_cast<std::size_t>(ms.attr_int("count"));
  if (nm > 0) {
    const auto& id = ms.strings("id");
    const auto& pid = ms.strings("proposal_id");
    const auto& formula = ms.strings("formula");
    const auto& source = ms.strings("source");
    const auto& key = ms.strings("key");
    const auto& status = ms.strings("status");
    const auto& round = ms.integers("round");
    const auto& pts = ms.matrix("point");
    const auto& outs = ms.matrix("outputs");
    const auto n = static_cast<Eigen::Index>(nm);
    check(pts, n, d, "/measurements/point");
    check(outs, n, m, "/measurements/outputs");
    if (id.size() != nm || pid.size() != nm || formula.size() != nm || source.size() != nm || key.size() != nm ||
        status.size() != nm || round.size() != nm)
      throw IOError(where + "/measurements columns have different lengths");
    for (std::size_t i = 0; i < nm; ++i) {
      MeasurementRecord r;
      r.id = id[i];
      r.proposal_id = pid[i];
      r.formula = formula[i];
      r.source = source[i];
      r.key = key[i];
      r.failed = status[i] == "failed";
      r.round = static_cast<int>(round[i]);
      r.point = pts.row(static_cast<Eigen::Index>(i)).transpose();
      r.outputs = outs.row(static_cast<Eigen::Index>(i)).transpose();
      measurements_.push_back(std::move(r));
    }
  }

  proposals_.clear();
  const Archive& ps = root.child("proposals");
  const auto np = static_cast<std::size_t>(ps.attr_int("count"));
  if (np > 0) {
    const auto& id = ps.strings("id");
    const auto& state = ps.strings("state");
    const auto& formula = ps.strings("formula");
    const auto& strategy = ps.strings("strategy");
    const auto& round = ps.integers("round");
    const auto& pts = ps.matrix("point");
    const auto& mean = ps.matrix("predicted_mean");
    const auto& sd = ps.matrix("predicted_std");
    const auto& acq = ps.vector("acquisition");
    const auto n = static_cast<Eigen::Index>(np);
    check(pts, n, d, "/proposals/point");
    check(mean, n, m, "/proposals/predicted_mean");
    check(sd, n, m, "/proposals/predicted_std");
    if (id.size() != np || state.size() != np || formula.size() != np || strategy.size() != np ||
        round.size() != np || acq.size() != n)
      throw IOError(where + "/proposals columns have different lengths");
    for (std::size_t i = 0; i < np; ++i) {
      ProposalRecord p;
      const auto r = static_cast<Eigen::Index>(i);
      p.id = id[i];
      p.state = state[i];
      p.formula = formula[i];
      p.strategy = strategy[i];
      p.round = static_cast<int>(round[i]);
      p.point = pts.row(r).transpose();
      p.predicted_mean = mean.row(r).transpose();
      p.predicted_std = sd.row(r).transpose();
      p.acquisition = acq[r];
      proposals_.push_back(std::move(p));
    }
  }

  oracle_cache_ = OracleCache();
  if (root.has_child("oracle_cache")) {
    const Archive& oc = root.child("oracle_cache");
    for (const auto& o : space_.oracles()) {
      if (!oc.has_child(o.name)) continue;
      const Archive& g = oc.child(o.name);
      const auto n = static_cast<Eigen::Index>(g.attr_int("count"));
      if (n == 0) continue;
      const auto& points = g.matrix("points");
      const auto& values = g.matrix("values");
      check(points, n, d, "/oracle_cache/" + o.name + "/points");
      check(values, n, static_cast<Eigen::Index>(o.outputs.size()), "/oracle_cache/" + o.name + "/values");
      oracle_cache_.set_table(o.name, points, values);
    }
  }

  history_.clear();
  const Archive& hs = root.child("history");
  const auto nh = static_cast<std::size_t>(hs.attr_int("count"));
  if (nh > 0) {
    const auto& time = hs.strings("time");
    const auto& command = hs.strings("command");
    const auto& argv = hs.strings("argv");
    const auto& ver = hs.strings("version");
    const auto& summary = hs.strings("summary");
    const auto& seed = hs.integers("seed");
    if (time.size() != nh || command.size() != nh || argv.size() != nh || ver.size() != nh ||
        summary.size() != nh || seed.size() != nh)
      throw IOError(where + "/history columns have different lengths");
    for (std::size_t i = 0; i < nh; ++i) {
      CommandRecord h;
      h.time = time[i];
      h.command = command[i];
      try {
        h.argv = nlohmann::json::parse(argv[i]).get<std::vector<std::string>>();
      } catch (const std::exception&) {
        h.argv = {argv[i]};
      }
      h.version = ver[i];
      h.summary = summary[i];
      h.seed = static_cast<std::uint64_t>(seed[i]);
      history_.push_back(std::move(h));
    }
  }
}

void Campaign::add_history(const std::string& command, const std::string& summary, std::uint64_t seed,
                           const std::vector<std::string>& argv) {
  CommandRecord h;
  h.time = utc_now();
  h.command = command;
  h.argv = argv_or_library(argv);
  h.version = version();
  h.seed = seed;
  h.summary = summary;
  history_.push_back(std::move(h));
}

// ---------------------------------------------------------------------------------------------------
// Public operations

Campaign Campaign::in_memory(const std::string& space_json, const std::filesystem::path& base_dir, std::uint64_t seed) {
  Campaign c;
  c.seed_ = seed;
  c.created_ = utc_now();
  DesignSpace full = DesignSpace::from_json_text(space_json, base_dir);
  // A pool is read once and kept inside the campaign, so the campaign file is self-contained.
  if (full.has_pool()) {
    const auto file = full.spec().pool->file;
    std::vector<Eigen::VectorXd> rows;
    const PoolStats stats = for_each_pool_chunk(full, file, 8192, [&](const Eigen::MatrixXd& pts, const std::vector<std::size_t>&) {
      for (Eigen::Index r = 0; r < pts.rows(); ++r) rows.push_back(pts.row(r).transpose());
    });
    c.pool_ = stack_rows(rows, full.dimension());
    if (stats.rows_rejected > 0)
      log_warn(file.string() + ": " + std::to_string(stats.rows_rejected) +
               " pool rows are outside the design space and were skipped (first: " + stats.first_rejection + ")");
    DesignSpaceSpec spec = full.spec();
    spec.pool.reset();
    c.space_ = DesignSpace(std::move(spec));
  } else {
    c.space_ = std::move(full);
    c.pool_.resize(0, c.space_.dimension());
  }
  c.space_json_ = c.space_.to_json_text();

  c.add_history("init", "created in-memory campaign", seed, {});
  return c;
}

Campaign Campaign::in_memory(const DesignSpace& space, const Eigen::MatrixXd& pool, std::uint64_t seed) {
  if (space.has_pool())
    throw InvalidArgument("Campaign::in_memory: pass the candidate rows as `pool`, not a pool file in the space");
  if (pool.rows() > 0 && pool.cols() != space.dimension())
    throw InvalidArgument("Campaign::in_memory: the pool has " + std::to_string(pool.cols()) + " columns, the space " +
                          std::to_string(space.dimension()) + " coordinates");
  for (Eigen::Index r = 0; r < pool.rows(); ++r) {
    const auto v = space.validate(pool.row(r).transpose());
    if (!v.empty()) throw InvalidArgument("Campaign::in_memory: pool row " + std::to_string(r + 1) + " is outside the space: " + describe(v));
  }
  Campaign c;
  c.seed_ = seed;
  c.created_ = utc_now();
  c.space_ = space;
  c.space_json_ = space.to_json_text();
  c.pool_ = pool.rows() > 0 ? pool : Eigen::MatrixXd(0, space.dimension());
  c.add_history("init", "created in-memory campaign", seed, {});
  return c;
}

Campaign Campaign::create(const std::filesystem::path& path, const std::string& space_json,
                          const std::filesystem::path& base_dir,
                          const std::optional<std::filesystem::path>& history, std::uint64_t seed,
                          const std::vector<std::string>& argv) {
  if (!history) return create_from(path, space_json, base_dir, nullptr, seed, argv);
  const CsvTable table = read_csv(*history);
  return create_from(path, space_json, base_dir, &table, seed, argv);
}

Campaign Campaign::create(const std::filesystem::path& path, const std::string& space_json,
                          const std::filesystem::path& base_dir, const CsvTable& history, std::uint64_t seed,
                          const std::vector<std::string>& argv) {
  return create_from(path, space_json, base_dir, &history, seed, argv);
}

Campaign Campaign::create_from(const std::filesystem::path& path, const std::string& space_json,
                               const std::filesystem::path& base_dir, const CsvTable* history, std::uint64_t seed,
                               const std::vector<std::string>& argv) {
  CampaignLock lock(path, CampaignLock::default_timeout());
  if (std::filesystem::exists(path))
    throw InvalidArgument(path.string() + " already exists; refusing to overwrite a campaign (choose another name)");

  Campaign c = in_memory(space_json, base_dir, seed);
  c.path_ = path;
  c.history_.clear();

  std::string pool_note;
  if (c.pool_.rows() > 0)
    pool_note = ", pool " + DesignSpace::from_json_text(space_json, base_dir).spec().pool->file.filename().string() +
                ": " + std::to_string(c.pool_.rows()) + " rows kept";

  std::string hist_note;
  if (history) {
    const std::string source = std::filesystem::path(history->file).filename().string();
    const auto rows = parse_results(c, *history, RowMode::History);
    for (const auto& r : rows) {
      if (r.already_ingested) continue;
      MeasurementRecord m;
      m.id = std::string("m").append(std::to_string(c.measurements_.size() + 1));  // (GCC 12 -Wrestrict false positive on "m" + s)
      m.round = 0;
      m.failed = r.failed;
      m.point = r.point;
      m.outputs = r.outputs;
      m.formula = c.formula_of(r.point);
      m.source = source;
      m.key = r.key;
      c.measurements_.push_back(std::move(m));
    }
    hist_note = ", " + std::to_string(c.measurements_.size()) + " prior measurements from " + source;
    c.fill_oracle_outputs(0);
  }
  c.add_history("init", "created campaign (" + std::to_string(c.space_.dimension()) + " coordinates, " +
                            std::to_string(c.space_.output_names().size()) + " outputs" + pool_note + hist_note + ")",
                seed, argv);
  c.save();
  return c;
}

void Campaign::fill_oracle_outputs(std::size_t first) {
  if (!space_.has_oracles() || first >= measurements_.size()) return;
  std::vector<std::size_t> rows;
  for (std::size_t i = first; i < measurements_.size(); ++i)
    if (!measurements_[i].failed) rows.push_back(i);
  if (rows.empty()) return;
  Eigen::MatrixXd pts(static_cast<Eigen::Index>(rows.size()), space_.dimension());
  for (std::size_t i = 0; i < rows.size(); ++i) pts.row(static_cast<Eigen::Index>(i)) = measurements_[rows[i]].point.transpose();
  const Eigen::MatrixXd v = evaluate_oracles(space_, pts, oracle_cache_);
  const auto& outputs = space_.output_names();
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const OracleColumn src = space_.oracle_source(outputs[k]);
    if (src.oracle < 0) continue;
    const int col = oracle_value_column(space_, src);
    for (std::size_t i = 0; i < rows.size(); ++i)
      measurements_[rows[i]].outputs[static_cast<Eigen::Index>(k)] = v(static_cast<Eigen::Index>(i), col);
  }
}

void Campaign::fill_new_oracle_outputs(std::size_t added, std::vector<MeasurementRecord>& before_measurements,
                                       std::vector<ProposalRecord>& before_proposals) {
  if (!space_.has_oracles()) return;
  try {
    fill_oracle_outputs(measurements_.size() - added);
  } catch (...) {
    measurements_ = std::move(before_measurements);
    proposals_ = std::move(before_proposals);
    throw;
  }
}

Campaign Campaign::open(const std::filesystem::path& path) {
  Campaign c;
  c.load_from(path);
  return c;
}

void Campaign::record(const std::string& command, const std::string& summary, const std::vector<std::string>& argv) {
  if (is_in_memory()) {
    add_history(command, summary, seed_, argv);
    return;
  }
  CampaignLock lock(path_, CampaignLock::default_timeout());
  load_from(path_);
  add_history(command, summary, seed_, argv);
  save();
}

void Campaign::write_lab_csv(const std::vector<ProposalRecord>& proposals, const std::filesystem::path& path) const {
  const CsvTable sheet = lab_sheet(proposals);
  write_csv(path, sheet.header, sheet.rows);
}

CsvTable Campaign::lab_sheet(const std::vector<ProposalRecord>& proposals) const {
  CsvTable sheet;
  std::vector<std::string>& header = sheet.header;
  header.push_back("id");
  const bool comp = space_.has_composition();
  if (comp) header.push_back(space_.spec().composition.column);
  const auto names = space_.coordinate_names();
  for (const auto& n : names) header.push_back(n);
  const auto& units = space_.spec().units;
  std::vector<bool> in_sheet;
  for (const auto& o : space_.output_names()) {
    in_sheet.push_back(space_.oracle_source(o).oracle < 0);  // oracle outputs are computed, not measured
    if (!in_sheet.back()) continue;
    auto it = units.find(o);
    header.push_back(it != units.end() && !it->second.empty() ? o + " [" + it->second + "]" : o);
  }
  header.push_back("status");
  std::vector<std::vector<std::string>>& rows = sheet.rows;
  for (const auto& p : proposals) {
    std::vector<std::string> row{p.id};
    if (comp) row.push_back(p.formula);
    for (int i = 0; i < static_cast<int>(names.size()); ++i) row.push_back(coordinate_text(i, p.point[i]));
    for (std::size_t k = 0; k < space_.output_names().size(); ++k)
      if (in_sheet[k]) row.emplace_back();
    row.emplace_back();
    rows.push_back(std::move(row));
    sheet.line_of_row.push_back(rows.size() + 1);
  }
  return sheet;
}

}  // namespace matopt
