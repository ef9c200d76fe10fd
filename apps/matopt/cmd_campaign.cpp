// SPDX-License-Identifier: MIT
// CLI wiring for the campaign loop: init, propose, ingest, status, report.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"

namespace matopt::cli {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(path + ": cannot open the design-space file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Read-only commands record themselves only when asked (--record); a campaign that cannot be written
// (read-only copy, another command holding the lock) must not stop them from reporting.
void record_read_only(Campaign& c, const std::string& command, const std::string& summary,
                      const std::vector<std::string>& argv) {
  try {
    c.record(command, summary, argv);
  } catch (const IOError& e) {
    log_warn(std::string("could not record '") + command + "' in the campaign history: " + e.what());
  }
}

// Terminal display: 4 significant digits are enough to read a prediction; files keep full precision.
std::string short_cell(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

void register_campaign_commands(CLI::App& app, Context& ctx) {
  // --- init ---
  {
    auto* cmd = app.add_subcommand("init", "Create a campaign file from a design space (and prior measurements)");
    auto campaign = std::make_shared<std::string>();
    auto space = std::make_shared<std::string>();
    auto history = std::make_shared<std::string>();
    auto seed = std::make_shared<std::uint64_t>(0);
    cmd->add_option("campaign", *campaign, "Campaign file to create (.h5)")->required();
    cmd->add_option("--space", *space, "Design-space JSON (docs/design-space.md)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--history", *history, "CSV of prior measurements (composition/process + output columns)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--seed", *seed, "Campaign seed; round r proposes with derive_seed(seed, r)");
    cmd->callback([&ctx, campaign, space, history, seed] {
      const std::filesystem::path sp(*space);
      std::optional<std::filesystem::path> hist;
      if (!history->empty()) hist = *history;
      const Campaign c = Campaign::create(*campaign, read_text(*space), sp.parent_path(), hist, *seed, ctx.argv);
      std::printf("created %s: %d coordinates, %zu outputs, %zu pool candidates, %zu prior measurements\n",
                  campaign->c_str(), c.space().dimension(), c.space().output_names().size(),
                  static_cast<std::size_t>(c.pool().rows()), c.measurements().size());
    });
  }

  // --- propose ---
  {
    auto* cmd = app.add_subcommand("propose", "Fit surrogates and propose the next batch of experiments");
    auto campaign = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto opts = std::make_shared<CampaignProposeOptions>();
    cmd->add_option("campaign", *campaign, "Campaign file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--batch,-q", opts->q, "Number of experiments to propose")->required();
    cmd->add_option("-o,--output", *out, "Lab CSV to write (default: <campaign>-round<R>.csv)");
    cmd->add_option("--strategy", opts->strategy,
                    "Batch strategy: qnehvi, qparego, ehvi, ei, logei, ucb, pi, ts, random (default: ucb for one "
                    "objective, qnehvi for several)");
    cmd->add_option("--ucb-beta", opts->ucb_beta, "UCB: mean + sqrt(beta) sd")->capture_default_str();
    cmd->add_option("--model", opts->model, "Surrogate: gp (default), auto (the engine: GP alone on few rows, else candidates chosen by inner CV; docs/auto.md), ensemble, forest or boost");
    cmd->add_option("--model-options", opts->model_options, "Surrogate options JSON, e.g. {\"restarts\": 5}");
    cmd->add_option("--features", opts->features,
                    "Model inputs: point (design coordinates, default) or featurizers, e.g. magpie");
    cmd->add_option("--raw-samples", opts->raw_samples, "Space-filling samples scored in a continuous space");
    cmd->add_option("--max-distance", opts->max_distance,
                    "Trust region: only candidates within this applicability-domain score of the measured points "
                    "(distance to the nearest one in units of their spacing; docs/campaign.md). Default: no limit");
    cmd->add_flag("--enumerate", opts->enumerate_grid,
                  "Score every feasible point of the granularity grid as a pool (at most 2e6 points; larger grids: "
                  "`matopt screen`)");
    cmd->add_option("--min-measurements", opts->min_measurements,
                    "Measurements needed before fitting models (fewer: space-filling design; default 3 with a "
                    "pool, else 2(d+1))");
    cmd->callback([&ctx, campaign, out, opts] {
      Campaign c = Campaign::open(*campaign);
      const auto props = c.propose(*opts, ctx.argv);
      std::string path = *out;
      if (path.empty()) {
        std::filesystem::path p(*campaign);
        char buf[32];
        std::snprintf(buf, sizeof(buf), "-round%03d.csv", c.rounds());
        path = (p.parent_path() / (p.stem().string() + buf)).string();
      }
      c.write_lab_csv(props, path);
      const auto& outs = c.space().output_names();
      std::printf("round %d: %zu proposals -> %s\n", c.rounds(), props.size(), path.c_str());
      for (const auto& p : props) {
        std::printf("  %s  %-28s", p.id.c_str(), p.formula.empty() ? "-" : p.formula.c_str());
        for (std::size_t k = 0; k < outs.size(); ++k)
          std::printf("  %s=%s±%s", outs[k].c_str(), short_cell(p.predicted_mean[static_cast<Eigen::Index>(k)]).c_str(),
                      short_cell(p.predicted_std[static_cast<Eigen::Index>(k)]).c_str());
        std::printf("  acq=%s\n", short_cell(p.acquisition).c_str());
      }
    });
  }

  // --- ingest ---
  {
    auto* cmd = app.add_subcommand("ingest", "Validate a results CSV and add its measurements to the campaign");
    auto campaign = std::make_shared<std::string>();
    auto results = std::make_shared<std::string>();
    cmd->add_option("campaign", *campaign, "Campaign file")->required()->check(CLI::ExistingFile);
    cmd->add_option("results", *results, "Results CSV (the proposal CSV filled in by the lab)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->callback([&ctx, campaign, results] {
      Campaign c = Campaign::open(*campaign);
      const IngestSummary s = c.ingest(*results, ctx.argv);
      if (!s.changed()) {
        std::printf("%s: nothing new (%zu rows already in the campaign); campaign unchanged\n", results->c_str(),
                    s.unchanged);
        return;
      }
      std::printf("%s: %zu new measurements (%zu failed), %zu proposals closed, %zu rows already present\n",
                  results->c_str(), s.added, s.failed, s.closed.size(), s.unchanged);
    });
  }

  // --- status ---
  {
    auto* cmd = app.add_subcommand("status", "Rounds, measurements, pending proposals, best values, Pareto set");
    auto campaign = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto record = std::make_shared<bool>(false);
    cmd->add_option("campaign", *campaign, "Campaign file")->required()->check(CLI::ExistingFile);
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->add_flag("--record", *record, "Also record this command in the campaign history (rewrites the file)");
    cmd->callback([&ctx, campaign, json, record] {
      Campaign c = Campaign::open(*campaign);
      const CampaignStatus s = c.status();
      if (*record)
        record_read_only(c, "status", "status: " + std::to_string(s.measurements) + " measurements, " +
                                          std::to_string(s.pending) + " pending", ctx.argv);
      std::fputs((*json ? s.to_json() + "\n" : s.to_text()).c_str(), stdout);
    });
  }

  // --- report ---
  {
    auto* cmd = app.add_subcommand("report", "Write an HTML report with SVG plots and the CSV tables behind them");
    auto campaign = std::make_shared<std::string>();
    auto dir = std::make_shared<std::string>();
    cmd->add_option("campaign", *campaign, "Campaign file")->required()->check(CLI::ExistingFile);
    auto record = std::make_shared<bool>(false);
    cmd->add_option("-o,--output", *dir, "Output directory")->required();
    cmd->add_flag("--record", *record, "Also record this command in the campaign history (rewrites the file)");
    cmd->callback([&ctx, campaign, dir, record] {
      Campaign c = Campaign::open(*campaign);
      const auto files = write_campaign_report(c, *dir, c.seed());
      if (*record) record_read_only(c, "report", "report written to " + *dir, ctx.argv);
      std::printf("report: %s/index.html (%zu files)\n", dir->c_str(), files.size());
    });
  }
}

}  // namespace matopt::cli
