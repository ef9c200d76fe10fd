// SPDX-License-Identifier: MIT
// `matopt bench campaign`: retrospective pool-based campaigns (Liang et al. 2021 protocol).
#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.hpp"
#include "matopt/bench/retrospective.hpp"
#include "matopt/core/atomic_file.hpp"
#include "matopt/core/error.hpp"

namespace matopt::cli {

void register_bench_campaign(CLI::App& bench, Context& ctx) {
  (void)ctx;
  auto* cmd = bench.add_subcommand("campaign", "Retrospective campaigns on a measured dataset vs random search (Top%, EF, AF)");
  auto dataset = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto opt = std::make_shared<RetrospectiveOptions>();
  cmd->add_option("--dataset", *dataset, "Dataset CSV (e.g. data/sdl/liang2021_crossed_barrel.csv)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--config", *config, "Config JSON (parameters, objectives; format of data/sdl/*.config.json)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--budget", opt->budget, "Evaluations per campaign, initial points included")->required();
  cmd->add_option("--batch,-q", opt->batch, "Candidates per iteration")->capture_default_str();
  cmd->add_option("--repeats", opt->repeats, "BO campaigns (seeds derived from --seed)")->capture_default_str();
  cmd->add_option("--random-repeats", opt->random_repeats, "Random-search campaigns")->capture_default_str();
  cmd->add_option("--strategy", opt->propose.strategy,
                  "Acquisition as in `matopt propose` (default: ucb for one objective, qnehvi for several)");
  cmd->add_option("--ucb-beta", opt->propose.ucb_beta, "UCB: mean + sqrt(beta) sd")->capture_default_str();
  cmd->add_option("--model", opt->propose.model, "Surrogate per objective: gp, auto (the engine: candidates chosen by inner CV once there are enough rows), forest, boost or ensemble")->capture_default_str();
  cmd->add_option("--model-options", opt->propose.model_options,
                  "Surrogate options JSON, e.g. {\"restarts\": 2} (the GP's get few-point priors where unset)");
  cmd->add_option("--min-measurements", opt->propose.min_measurements,
                  "Measurements before models are fitted, as in `matopt propose` (0 = its default, 3 for a pool)")->capture_default_str();
  cmd->add_option("--top", opt->top_fraction, "Top fraction of the pool that is the goal")->capture_default_str();
  cmd->add_option("--initial", opt->n_initial, "Random initial points (the campaign's prior measurements)")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Seed")->capture_default_str();
  cmd->add_option("-o,--output", *out, "results.json with every repeat's per-iteration values and the summary");
  cmd->callback([dataset, config, out, opt] {
    const RetrospectivePool pool = load_retrospective_pool(*dataset, *config);
    std::printf("%s: %zu rows -> %zu unique candidates, %zu inputs (%lld model columns), %zu objective(s)\n",
                pool.name.c_str(), pool.rows_read, static_cast<std::size_t>(pool.X.rows()), pool.inputs.size(),
                static_cast<long long>(pool.X.cols()), pool.objectives.size());
    const RetrospectiveResult res = run_retrospective(pool, *opt);
    std::fputs(res.summary().c_str(), stdout);
    if (!out->empty()) {
      AtomicFile f(*out);
      {
        std::ofstream o(f.temp_path());
        o << res.to_json() << "\n";
        if (!o.flush()) throw IOError(*out + ": write failed");
      }
      f.commit();
      std::printf("wrote %s\n", out->c_str());
    }
  });
}

}  // namespace matopt::cli
