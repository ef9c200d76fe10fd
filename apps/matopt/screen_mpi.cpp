// SPDX-License-Identifier: MIT
#include "screen_mpi.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <memory>
#include <vector>

#include "matopt/core/log.hpp"

#if defined(MATOPT_WITH_MPI)
#include <mpi.h>
#endif

namespace matopt::cli {

namespace {

[[maybe_unused]] bool g_mpi = false;

// Progress on a terminal, over work units (indices or items) of a known total.
struct ProgressBar {
  Progress bar;
  double total;
  explicit ProgressBar(double total_units) : bar("screen", 1000), total(std::max(total_units, 1.0)) {}
  void operator()(double done) { bar.update(static_cast<std::size_t>(1000.0 * std::min(done, total) / total)); }
};

// The whole range in this process, with a progress bar over grid indices.
ScreenResult screen_here(const Model& model, const DesignGrid& grid, ScreenOptions options) {
  const std::uint64_t end = options.end == 0 ? grid.index_end() : std::min(options.end, grid.index_end());
  ProgressBar bar(static_cast<double>(end > options.begin ? end - options.begin : 0));
  options.progress = [&](std::uint64_t done) { bar(static_cast<double>(done)); };
  ScreenResult r = screen(model, grid, options);
  bar.bar.finish();
  return r;
}

}  // namespace

#if defined(MATOPT_WITH_MPI)

namespace {

// mpirun (OpenMPI), srun (Slurm's PMI) and MPICH's hydra set one of these in every rank.
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

// One hit as four 64-bit words: index, and the bits of score, mean and sd.
std::vector<std::uint64_t> pack(const std::vector<ScreenHit>& hits, std::size_t k) {
  std::vector<std::uint64_t> out(4 * k + 3, 0);
  out[0] = hits.size();
  for (std::size_t i = 0; i < hits.size(); ++i) {
    out[3 + 4 * i] = hits[i].index;
    std::memcpy(&out[4 + 4 * i], &hits[i].score, 8);
    std::memcpy(&out[5 + 4 * i], &hits[i].mean, 8);
    std::memcpy(&out[6 + 4 * i], &hits[i].sd, 8);
  }
  return out;
}

ScreenResult unpack(const std::uint64_t* w) {
  ScreenResult r;
  r.screened = w[1];
  r.feasible = w[2];
  for (std::uint64_t i = 0; i < w[0]; ++i) {
    ScreenHit h;
    h.index = w[3 + 4 * i];
    std::memcpy(&h.score, &w[4 + 4 * i], 8);
    std::memcpy(&h.mean, &w[5 + 4 * i], 8);
    std::memcpy(&h.sd, &w[6 + 4 * i], 8);
    r.top.push_back(h);
  }
  return r;
}

// Tiles per work item: about 16 items per rank so that ranks finishing early take more, and at
// least the block size the user asked for.
std::uint64_t tiles_per_item(std::uint64_t tiles, const ScreenOptions& o) {
  const std::uint64_t by_block = std::max<std::uint64_t>(1, (o.block + o.tile - 1) / o.tile);
  const std::uint64_t by_balance = tiles / (16 * static_cast<std::uint64_t>(mpi_size())) + 1;
  return std::max(by_block, std::min<std::uint64_t>(by_balance, 256));
}

ScreenResult screen_dynamic(const Model& model, const DesignGrid& grid, ScreenOptions o) {
  const std::uint64_t end = o.end == 0 ? grid.index_end() : std::min(o.end, grid.index_end());
  const std::uint64_t first_tile = o.begin / o.tile, tiles = end > o.begin ? (end - 1) / o.tile + 1 - first_tile : 0;
  const std::uint64_t per = tiles_per_item(tiles, o), items = (tiles + per - 1) / per;
  std::uint64_t counter = 0;
  MPI_Win win;
  MPI_Win_create(&counter, mpi_rank() == 0 ? sizeof counter : 0, sizeof counter, MPI_INFO_NULL, MPI_COMM_WORLD, &win);
  MPI_Win_lock_all(0, win);
  std::vector<ScreenResult> parts;
  std::unique_ptr<ProgressBar> bar;
  if (mpi_rank() == 0) bar = std::make_unique<ProgressBar>(static_cast<double>(items));
  const std::uint64_t one = 1;
  for (;;) {
    std::uint64_t item = 0;
    MPI_Fetch_and_op(&one, &item, MPI_UINT64_T, 0, 0, MPI_SUM, win);
    MPI_Win_flush(0, win);
    if (item >= items) break;
    if (bar) (*bar)(static_cast<double>(item));
    ScreenOptions part = o;
    part.progress = nullptr;
    part.begin = std::max(o.begin, (first_tile + item * per) * o.tile);
    part.end = std::min(end, (first_tile + (item + 1) * per) * o.tile);
    parts.push_back(screen(model, grid, part));
    parts = {merge_screen_results(parts, o.top_k)};
  }
  MPI_Win_unlock_all(win);
  MPI_Win_free(&win);
  if (bar) bar->bar.finish();
  return parts.empty() ? ScreenResult{} : parts.front();
}

}  // namespace

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  MPI_Init(&argc, &argv);
  g_mpi = true;
}

MpiSession::~MpiSession() {
  if (g_mpi) MPI_Finalize();
}

int MpiSession::fail(int code) {
  if (g_mpi && mpi_size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
  return code;
}

int mpi_rank() {
  int r = 0;
  if (g_mpi) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int mpi_size() {
  int n = 1;
  if (g_mpi) MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

ScreenResult screen_across_ranks(const Model& model, const DesignGrid& grid, ScreenOptions options) {
  if (mpi_size() == 1) return screen_here(model, grid, options);
  ScreenResult mine = screen_dynamic(model, grid, options);
  std::vector<std::uint64_t> words = pack(mine.top, options.top_k);
  words[1] = mine.screened;
  words[2] = mine.feasible;
  std::vector<std::uint64_t> all(mpi_rank() == 0 ? words.size() * static_cast<std::size_t>(mpi_size()) : 0);
  MPI_Gather(words.data(), static_cast<int>(words.size()), MPI_UINT64_T, all.data(), static_cast<int>(words.size()),
             MPI_UINT64_T, 0, MPI_COMM_WORLD);
  if (mpi_rank() != 0) return mine;
  std::vector<ScreenResult> parts;
  for (int r = 0; r < mpi_size(); ++r) parts.push_back(unpack(all.data() + static_cast<std::size_t>(r) * words.size()));
  return merge_screen_results(parts, options.top_k);
}

#else  // no MPI in this build: one process

MpiSession::MpiSession(int&, char**&) {}
MpiSession::~MpiSession() = default;
int MpiSession::fail(int code) { return code; }
int mpi_rank() { return 0; }
int mpi_size() { return 1; }

ScreenResult screen_across_ranks(const Model& model, const DesignGrid& grid, ScreenOptions options) {
  return screen_here(model, grid, std::move(options));
}

#endif

}  // namespace matopt::cli
