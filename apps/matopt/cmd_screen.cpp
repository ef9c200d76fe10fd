// SPDX-License-Identifier: MIT
// `matopt screen`: enumerate a design space's grid, score every feasible point with a saved model,
// write the best K. CLI wiring for optimize/grid.hpp and optimize/screen.hpp; the MPI split lives in
// screen_mpi.cpp.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/models/model.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/grid.hpp"
#include "matopt/optimize/screen.hpp"
#include "screen_mpi.hpp"

namespace matopt::cli {

namespace {

struct ScreenArgs {
  std::string model, space, score = "mean", target, output;
  std::vector<std::string> grid;
  std::string range;
  std::size_t top = 100;
  std::uint64_t block = 4096;
  unsigned threads = 0;
  bool count = false, minimize = false, maximize = false;
};

std::vector<double> parse_values(const ProcessParameter& p, const std::string& text) {
  std::vector<double> out;
  auto number = [&](const std::string& t) {
    std::size_t used = 0;
    double v = std::nan("");
    try {
      v = std::stod(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != t.size() || t.empty()) throw InvalidArgument("--grid " + p.name + ": '" + t + "' is not a number");
    return v;
  };
  const auto colons = std::count(text.begin(), text.end(), ':');
  if (colons == 2 && p.kind != ParameterKind::Categorical) {  // lower:upper:count, evenly spaced, both ends
    const auto a = text.find(':'), b = text.rfind(':');
    const double lo = number(text.substr(0, a)), hi = number(text.substr(a + 1, b - a - 1));
    const double n = number(text.substr(b + 1));
    if (!(n >= 1 && n == std::floor(n) && n <= 1e7)) throw InvalidArgument("--grid " + p.name + ": the count must be a whole number in [1, 1e7]");
    for (int i = 0; i < static_cast<int>(n); ++i) out.push_back(n == 1 ? lo : lo + (hi - lo) * i / (n - 1));
    return out;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    const std::string t = text.substr(start, comma - start);
    if (p.kind == ParameterKind::Categorical) {
      const auto at = std::find(p.categories.begin(), p.categories.end(), t);
      if (at == p.categories.end()) throw InvalidArgument("--grid " + p.name + ": '" + t + "' is not one of its categories");
      out.push_back(static_cast<double>(at - p.categories.begin()));
    } else {
      out.push_back(number(t));
    }
    start = comma + 1;
  }
  return out;
}

// One value list per process parameter: --grid NAME=..., else every category, every integer (up to
// 1000), or an error for a continuous parameter.
ProcessGrid process_grid(const DesignSpace& space, const std::vector<std::string>& specs) {
  const auto& params = space.spec().process;
  ProcessGrid g;
  g.values.resize(params.size());
  for (const auto& s : specs) {
    const auto eq = s.find('=');
    const std::string name = s.substr(0, eq);
    const auto at = std::find_if(params.begin(), params.end(), [&](const ProcessParameter& p) { return p.name == name; });
    if (eq == std::string::npos || at == params.end())
      throw InvalidArgument("--grid '" + s + "': expected NAME=v1,v2,... or NAME=lower:upper:count for a process parameter of the space");
    g.values[static_cast<std::size_t>(at - params.begin())] = parse_values(*at, s.substr(eq + 1));
  }
  for (std::size_t j = 0; j < params.size(); ++j) {
    if (!g.values[j].empty()) continue;
    const auto& p = params[j];
    g.values[j] = default_grid_values(p);
    if (mpi_rank() == 0)
      std::fprintf(stderr, "screen: '%s' takes all its %zu %s\n", p.name.c_str(), g.values[j].size(),
                 p.kind == ParameterKind::Categorical ? "categories" : "integer values");
  }
  return g;
}

// The model target screened and its direction, printed because both can be guessed.
struct TargetChoice {
  std::size_t index = 0;
  bool maximize = true;
};

TargetChoice choose_target(const Model& m, const DesignSpace& space, const ScreenArgs& a) {
  TargetChoice t;
  const auto& targets = m.targets();
  std::string names;
  for (const auto& ti : targets) names += (names.empty() ? "" : ", ") + ti.name;
  if (a.target.empty() && targets.size() > 1)
    throw InvalidArgument("the model has several targets (" + names + "); choose one with --target");
  if (!a.target.empty()) {
    const auto at = std::find_if(targets.begin(), targets.end(), [&](const TargetInfo& ti) { return ti.name == a.target; });
    if (at == targets.end()) throw InvalidArgument("--target '" + a.target + "' is not a model target (" + names + ")");
    t.index = static_cast<std::size_t>(at - targets.begin());
  }
  const std::string& name = targets[t.index].name;
  std::string why = "the default";
  for (const auto& o : space.objectives()) {
    if (o.name != name) continue;
    if (o.goal != Goal::Maximize && o.goal != Goal::Minimize && !a.minimize && !a.maximize)
      throw InvalidArgument("objective '" + name + "' has a target goal; screen ranks by --maximize or --minimize");
    t.maximize = o.goal != Goal::Minimize;
    why = "the space's objective";
  }
  if (a.minimize || a.maximize) {
    t.maximize = a.maximize;
    why = "--minimize/--maximize";
  }
  if (mpi_rank() == 0)
    std::fprintf(stderr, "screen: ranking '%s' (%s, %s)\n", name.c_str(), t.maximize ? "maximized" : "minimized", why.c_str());
  return t;
}

void print_count(const DesignGrid& grid, unsigned threads) {
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("grid: %s compositions x %llu process combinations = %s points (bounds, granularity, "
              "cardinality and required elements; counted, not enumerated)\n",
              to_string_count(grid.compositions()).c_str(), static_cast<unsigned long long>(grid.process_combinations()),
              to_string_count(grid.size()).c_str());
  if (grid.exact()) {
    std::printf("feasible: %s (every grid point; the space has no linear or descriptor constraint)\n",
                to_string_count(grid.size()).c_str());
    return;
  }
  std::printf("linear/descriptor constraints: the feasible points must be enumerated\n");
  Progress bar("screen --count", 1000);
  const double n = static_cast<double>(grid.index_end());
  const std::uint64_t feasible = count_feasible(grid, 0, 0, threads, [&](std::uint64_t done) {
    bar.update(static_cast<std::size_t>(1000.0 * static_cast<double>(done) / n));
  });
  bar.finish();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("feasible: %llu of %s (%.3g %%; enumerated in %.2f s)\n", static_cast<unsigned long long>(feasible),
              to_string_count(grid.size()).c_str(), 100.0 * static_cast<double>(feasible) / n, sec);
}

void write_top(const ScreenArgs& a, const Model& m, const DesignGrid& grid, const ScreenScore& score, std::size_t target,
               const ScreenResult& r) {
  const DesignSpace& space = grid.space();
  std::vector<std::string> header{"rank", "grid_index"};
  if (space.has_composition()) header.push_back(space.spec().composition.column);
  for (const auto& p : space.spec().process) header.push_back(p.name);
  const std::string& name = m.targets()[target].name;
  header.insert(header.end(), {name + "_mean", name + "_std", score.column()});
  std::vector<std::vector<std::string>> rows;
  Eigen::VectorXd x;
  for (std::size_t k = 0; k < r.top.size(); ++k) {
    const auto& h = r.top[k];
    grid.unrank(h.index, x);
    std::vector<std::string> row{std::to_string(k + 1), std::to_string(h.index)};
    if (space.has_composition()) row.push_back(space.formula_of(x));
    for (int j = 0; j < space.num_process(); ++j) row.push_back(space.coordinate_text(space.num_elements() + j, x[space.num_elements() + j]));
    row.insert(row.end(), {format_double(h.mean), format_double(h.sd), format_double(h.score)});
    rows.push_back(std::move(row));
  }
  write_csv(a.output, header, rows);
}

// --range BEGIN:END (grid indices, END exclusive; either may be empty).
void parse_range(const std::string& text, ScreenOptions& o) {
  if (text.empty()) return;
  const auto colon = text.find(':');
  auto index = [&](const std::string& t, std::uint64_t fallback) {
    if (t.empty()) return fallback;
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != t.size() || t[0] == '-') throw InvalidArgument("--range '" + text + "': expected BEGIN:END grid indices");
    return static_cast<std::uint64_t>(v);
  };
  if (colon == std::string::npos) throw InvalidArgument("--range '" + text + "': expected BEGIN:END grid indices");
  o.begin = index(text.substr(0, colon), 0);
  o.end = index(text.substr(colon + 1), 0);
  if (o.end != 0 && o.end <= o.begin) throw InvalidArgument("--range '" + text + "': END must be greater than BEGIN");
}

void run_screen(const ScreenArgs& a) {
  const DesignSpace space = DesignSpace::from_file(a.space);
  const DesignGrid grid(space, process_grid(space, a.grid));
  const bool root = mpi_rank() == 0;
  if (a.count) {
    if (root) print_count(grid, a.threads);
    return;
  }
  if (a.output.empty()) throw InvalidArgument("screen: -o/--output is required (or --count)");
  const Model m = Model::load(a.model);
  const TargetChoice target = choose_target(m, space, a);
  ScreenOptions o;
  o.target = target.index;
  o.score = ScreenScore::parse(a.score, target.maximize);
  o.top_k = a.top;
  o.block = a.block;
  o.threads = a.threads;
  parse_range(a.range, o);
  const auto t0 = std::chrono::steady_clock::now();
  const ScreenResult r = screen_across_ranks(m, grid, o);
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!root) return;
  write_top(a, m, grid, o.score, target.index, r);
  std::fprintf(stderr, "screen: %llu grid points, %llu feasible, scored in %.2f s (%.3g points/s over %d process%s); "
               "wrote the best %zu to %s\n",
               static_cast<unsigned long long>(r.screened), static_cast<unsigned long long>(r.feasible), sec,
               static_cast<double>(r.screened) / std::max(sec, 1e-9), mpi_size(), mpi_size() == 1 ? "" : "es",
               r.top.size(), a.output.c_str());
}

}  // namespace

void register_screen_command(CLI::App& app, Context& ctx) {
  (void)ctx;
  auto a = std::make_shared<ScreenArgs>();
  CLI::App* cmd = app.add_subcommand("screen", "Score every composition of a design space's grid with a saved model; "
                                               "write the best K (docs/screen.md). Under mpirun the ranks split the grid");
  cmd->add_option("MODEL", a->model, "Model file written by `matopt train` (not needed with --count)");
  cmd->add_option("--space", a->space, "Design space JSON (its granularity is the grid step)")->required();
  cmd->add_option("--score", a->score, "mean, ucb:BETA (mean + sqrt(BETA) sd), ei:BEST or pof:THRESHOLD (log values)")->capture_default_str();
  cmd->add_option("--target", a->target, "Model target to rank (default: the model's only target)");
  cmd->add_flag("--maximize", a->maximize, "Rank high values first (default: the space's objective goal, else maximize)");
  cmd->add_flag("--minimize", a->minimize, "Rank low values first");
  cmd->add_option("--top", a->top, "How many of the best to write (K)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--grid", a->grid,
                  "Values of a process parameter: NAME=v1,v2,... or NAME=lower:upper:count (repeat; categoricals "
                  "and integers default to all their values)");
  cmd->add_flag("--count", a->count, "Print how many grid points are feasible and exit");
  cmd->add_option("--block", a->block, "Grid indices per work item")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--range", a->range,
                  "Grid indices BEGIN:END to screen (END exclusive; default all). Parts split at multiples of 1024 "
                  "merge into exactly the whole grid's ranking");
  cmd->add_option("--threads", a->threads, "Threads per process (0 = all cores)")->capture_default_str();
  cmd->add_option("-o,--output", a->output, "CSV of the best K to write (rank, grid index, point, mean, std, score)");
  cmd->callback([a] {
    if (a->minimize && a->maximize) throw InvalidArgument("give --minimize or --maximize, not both");
    if (!a->count && a->model.empty()) throw InvalidArgument("screen: MODEL is required (or --count)");
    run_screen(*a);
  });
}

}  // namespace matopt::cli
