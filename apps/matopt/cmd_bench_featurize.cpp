// SPDX-License-Identifier: MIT
// `matopt bench featurize`: parse + featurize throughput on matbench formulas.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <ctime>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "commands.hpp"
#include "matopt/core/composition.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/featurize/featurizer.hpp"

namespace matopt::cli {

namespace {

struct BenchFeaturizeArgs {
  std::size_t rows = 1000000;
  unsigned threads = 0;
  std::string features = "magpie";
  std::string input;  // CSV whose first column holds the formulas; empty = the matbench files
  std::size_t chunk = 4096;
  int repeats = 3;
};

using Clock = std::chrono::steady_clock;

/// Each worker takes a contiguous slice and featurizes it chunk by chunk into its own reused buffer,
/// as the streaming path does. Returns the best wall time of `repeats` runs and a checksum; `cpu` gets
/// the process CPU seconds of that run (on a shared machine wall time also counts other processes).
double time_featurize(const Featurizer* f, const std::vector<std::string_view>& formulas, unsigned threads,
                      std::size_t chunk, int repeats, double& checksum, double& cpu) {
  double best = 1e300;
  const std::size_t n = formulas.size();
  for (int r = 0; r < repeats; ++r) {
    std::vector<double> sums(threads, 0.0);
    auto work = [&](unsigned t) {
      const std::size_t b = n * t / threads, e = n * (t + 1) / threads;
      const std::size_t d = f ? f->size() : 0;
      std::vector<double> buf(chunk * std::max<std::size_t>(d, 1));
      Composition comp;
      double s = 0.0;
      for (std::size_t i = b; i < e; i += chunk) {
        const std::size_t m = std::min(chunk, e - i);
        if (f) {
          featurize_formulas(*f, std::span<const std::string_view>(formulas.data() + i, m), buf.data(), 1, i + 2);
          for (std::size_t k = 0; k < m; ++k) s += buf[k * d + 3];
        } else {
          for (std::size_t k = 0; k < m; ++k) {
            Composition::parse_into(formulas[i + k], comp);
            s += comp.fractions()[0];
          }
        }
      }
      sums[t] = s;
    };
    auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
    const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
    if (sec < best) cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    best = std::min(best, sec);
    checksum = 0.0;
    for (double s : sums) checksum += s;
  }
  return best;
}

/// Parse + featurize into one freshly allocated n x k array, the work `matopt.featurize` does in
/// Python: the array's pages are first touched here (numpy asks the kernel for transparent huge
/// pages on large arrays, so this does too), which the chunked run above does not pay for.
double time_featurize_array(const Featurizer& f, const std::vector<std::string_view>& formulas, unsigned threads,
                            int repeats, double& checksum, double& cpu) {
  const std::size_t n = formulas.size(), d = f.size();
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t bytes = (n * d * sizeof(double) + kHugePage - 1) / kHugePage * kHugePage;
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    auto* out = static_cast<double*>(std::aligned_alloc(kHugePage, bytes));
    if (out == nullptr) throw std::bad_alloc();
#if defined(__linux__)
    madvise(out, bytes, MADV_HUGEPAGE);
#endif
    featurize_formulas(f, formulas, out, threads, 2);
    const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
    if (sec < best) cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    best = std::min(best, sec);
    checksum = 0.0;
    for (std::size_t i = 0; i < n; ++i) checksum += out[i * d + 3];
    std::free(out);
  }
  return best;
}

void run_bench_featurize(const BenchFeaturizeArgs& a) {
  if (a.rows == 0) throw InvalidArgument("--rows must be > 0");
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = a.threads == 0 ? hw : a.threads;
  auto f = make_featurizer(a.features);
  if (f->needs_fit()) throw InvalidArgument("bench featurize: 'fractions' needs a fitted element list; use other featurizers");

  const char* files[] = {"matbench_expt_gap.csv", "matbench_expt_is_metal.csv", "matbench_mp_e_form.csv",
                         "matbench_steels.csv"};
  std::vector<std::string> unique;
  if (!a.input.empty()) {
    CsvTable t = read_csv(a.input);
    for (const auto& row : t.rows) unique.push_back(row.at(0));
    if (unique.empty()) throw DataError(a.input + ": no formulas (expected them in the first column)");
  }
  for (const char* name : files) {
    if (!a.input.empty()) break;
    CsvTable t = read_csv(data_dir() / "matbench" / name);
    for (const auto& row : t.rows) unique.push_back(row.at(0));
  }
  if (unique.empty()) throw DataError("no formulas found under " + (data_dir() / "matbench").string());
  // Shuffle-free repetition keeps the mix of the four files; the views point into `unique`.
  std::vector<std::string_view> formulas(a.rows);
  for (std::size_t i = 0; i < a.rows; ++i) formulas[i] = unique[i % unique.size()];

  const std::string from = a.input.empty() ? std::string("4 matbench files") : a.input;
  std::printf("bench featurize: %zu formulas (%zu distinct from %s), features '%s' (%zu values), "
              "chunk %zu, best of %d\n",
              a.rows, unique.size(), from.c_str(), a.features.c_str(), f->size(), a.chunk, a.repeats);
  std::printf("  (wall = compositions per wall-clock second; cpu = per CPU-second of this process, i.e. per core)\n");
  double cs = 0.0, cpu = 0.0;
  const double n = static_cast<double>(a.rows);
  const double parse1 = time_featurize(nullptr, formulas, 1, a.chunk, a.repeats, cs, cpu);
  std::printf("  parse only,         1 thread : wall %10.0f /s  cpu %10.0f /s  (%.3f s)\n", n / parse1, n / cpu, parse1);
  const double t1 = time_featurize(f.get(), formulas, 1, a.chunk, a.repeats, cs, cpu);
  std::printf("  parse + featurize,  1 thread : wall %10.0f /s  cpu %10.0f /s  (%.3f s)  checksum %.10g\n", n / t1,
              n / cpu, t1, cs);
  const double tn = time_featurize(f.get(), formulas, threads, a.chunk, a.repeats, cs, cpu);
  std::printf("  parse + featurize, %2u threads: wall %10.0f /s  cpu %10.0f /s  (%.3f s)  checksum %.10g\n", threads,
              n / tn, n / cpu, tn, cs);
  const double ta = time_featurize_array(*f, formulas, threads, a.repeats, cs, cpu);
  std::printf("  into one n x k array, %2u threads: wall %10.0f /s  cpu %10.0f /s  (%.3f s; %.2f GB, what matopt.featurize "
              "returns)  checksum %.10g\n",
              threads, n / ta, n / cpu, ta, n * static_cast<double>(f->size()) * 8e-9, cs);
  // Featurize only, on pre-parsed compositions of the distinct formulas (no parse cost).
  std::vector<Composition> comps;
  comps.reserve(unique.size());
  for (const auto& s : unique) comps.push_back(Composition::parse(s));
  std::vector<double> row(f->size());
  double best = 1e300;
  for (int r = 0; r < a.repeats; ++r) {
    auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    double s = 0.0;
    for (std::size_t i = 0; i < a.rows; ++i) {
      f->featurize(comps[i % comps.size()], row.data());
      s += row[3];
    }
    const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
    if (sec < best) cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    best = std::min(best, sec);
    cs = s;
  }
  std::printf("  featurize only,     1 thread : wall %10.0f /s  cpu %10.0f /s  (%.3f s)  checksum %.10g\n", n / best,
              n / cpu, best, cs);
}

}  // namespace

void register_bench_featurize(CLI::App& bench, Context& ctx) {
  (void)ctx;
  auto args = std::make_shared<BenchFeaturizeArgs>();
  auto* cmd = bench.add_subcommand("featurize", "Parse + featurize throughput (compositions/s) on matbench formulas");
  cmd->add_option("--rows", args->rows, "Number of formulas (the matbench formulas repeated)")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads for the multi-threaded run (0 = all cores)")->capture_default_str();
  cmd->add_option("--features", args->features, "Featurizer spec, e.g. magpie+stoichiometry")->capture_default_str();
  cmd->add_option("--input", args->input, "CSV whose first column holds the formulas (default: the matbench files)");
  cmd->add_option("--chunk", args->chunk, "Rows per output chunk")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--repeats", args->repeats, "Timed repetitions (best is printed)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([args] { run_bench_featurize(*args); });
}

}  // namespace matopt::cli
