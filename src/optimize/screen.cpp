// SPDX-License-Identifier: MIT
#include "matopt/optimize/screen.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

#include "core/parallel.hpp"
#include "optimize/top_k.hpp"
#include "matopt/acquisition/analytic.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

ScreenScore ScreenScore::parse(const std::string& text, bool maximize) {
  ScreenScore s;
  s.maximize = maximize;
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  const char* forms = "expected mean, ucb:BETA, ei:BEST or pof:THRESHOLD";
  if (name == "mean" && colon == std::string::npos) return s;
  if (colon == std::string::npos || colon + 1 == text.size())
    throw InvalidArgument("--score '" + text + "': " + forms);
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text.substr(colon + 1), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() - colon - 1 || !std::isfinite(v)) throw InvalidArgument("--score '" + text + "': " + forms);
  s.parameter = v;
  if (name == "ucb" && v >= 0.0) s.kind = ScreenScoreKind::Ucb;
  else if (name == "ei") s.kind = ScreenScoreKind::Ei;
  else if (name == "pof") s.kind = ScreenScoreKind::Pof;
  else throw InvalidArgument("--score '" + text + "': " + forms + " (BETA >= 0)");
  return s;
}

std::string ScreenScore::column() const {
  switch (kind) {
    case ScreenScoreKind::Mean: return "mean";
    case ScreenScoreKind::Ucb: return "ucb";
    case ScreenScoreKind::Ei: return "log_ei";
    case ScreenScoreKind::Pof: return "log_pof";
  }
  return "score";
}

double ScreenScore::operator()(double mean, double sd) const noexcept {
  if (!std::isfinite(mean) || !(sd >= 0.0)) return -std::numeric_limits<double>::infinity();
  // Minimizing y is maximizing -y: the incumbent and the threshold flip with it.
  const double m = maximize ? mean : -mean;
  const double p = maximize ? parameter : -parameter;
  switch (kind) {
    case ScreenScoreKind::Mean: return m;
    case ScreenScoreKind::Ucb: return upper_confidence_bound(m, sd, parameter);
    case ScreenScoreKind::Ei: return log_expected_improvement(m, sd, p);
    case ScreenScoreKind::Pof: return log_probability_of_improvement(m, sd, p);
  }
  return -std::numeric_limits<double>::infinity();
}

bool ranks_before(const ScreenHit& a, const ScreenHit& b) noexcept {
  // -inf scores (NaN predictions) still rank by index, after every finite score.
  if (a.score != b.score) return a.score > b.score;
  return a.index < b.index;
}

namespace {

struct HitBefore {
  bool operator()(const ScreenHit& a, const ScreenHit& b) const noexcept { return ranks_before(a, b); }
};
using TopK = detail::BoundedTopK<ScreenHit, HitBefore>;

// What the model reads from a grid point: the composition (element Z per coordinate) and, per model
// process column, the space coordinate it comes from.
struct InputMap {
  std::vector<int> element_z;
  std::vector<std::pair<int, const ProcessParameter*>> process;  // coordinate, parameter
};

InputMap map_inputs(const Model& model, const DesignSpace& space) {
  InputMap m;
  if (!model.composition_column().empty() && !space.has_composition())
    throw InvalidArgument("the model reads a composition ('" + model.composition_column() +
                          "') but the space has no composition block");
  for (const auto& e : space.spec().composition.elements) m.element_z.push_back(element_z(e.symbol));
  for (const auto& name : model.process_columns()) {
    const int c = space.coordinate_index(name);
    if (c < space.num_elements())
      throw InvalidArgument("the model reads process column '" + name + "', which is not a process parameter of the space");
    m.process.emplace_back(c, &space.spec().process[static_cast<std::size_t>(c - space.num_elements())]);
  }
  return m;
}

// The model's inputs for a list of grid points (rows of `points`, each dimension() values).
Dataset block_dataset(const Model& model, const InputMap& in, const std::vector<double>& points, std::size_t rows,
                      std::size_t dim) {
  Dataset d;
  d.ids.resize(rows);
  if (!model.composition_column().empty()) {
    d.composition_column = model.composition_column();
    d.compositions.reserve(rows);
    std::vector<std::pair<int, double>> amounts;
    for (std::size_t r = 0; r < rows; ++r) {
      amounts.clear();
      for (std::size_t i = 0; i < in.element_z.size(); ++i)
        if (points[r * dim + i] > 0.0) amounts.emplace_back(in.element_z[i], points[r * dim + i]);
      d.compositions.push_back(Composition::from_amounts(amounts));
    }
  }
  for (const auto& [c, p] : in.process) {
    Column col;
    col.name = p->name;
    col.type = p->kind == ParameterKind::Continuous ? ColumnType::Continuous
               : p->kind == ParameterKind::Integer  ? ColumnType::Integer
                                                    : ColumnType::Categorical;
    col.categories = p->categories;
    col.values.resize(rows);
    for (std::size_t r = 0; r < rows; ++r) col.values[r] = points[r * dim + static_cast<std::size_t>(c)];
    d.process.push_back(std::move(col));
  }
  return d;
}

struct BlockCounts {
  std::uint64_t screened = 0, feasible = 0;
};

// Visits [b, e): feasible points go to `points` (and their indices to `indices`).
BlockCounts collect_block(const DesignGrid& grid, std::uint64_t b, std::uint64_t e, std::vector<double>& points,
                          std::vector<std::uint64_t>& indices) {
  const auto dim = static_cast<std::size_t>(grid.space().dimension());
  std::vector<double> x(dim);
  points.clear();
  indices.clear();
  BlockCounts n;
  grid.unrank(b, x);
  for (std::uint64_t i = b; i < e; ++i) {
    if (i > b) grid.next(x);
    ++n.screened;
    if (!grid.is_feasible(x)) continue;
    ++n.feasible;
    points.insert(points.end(), x.begin(), x.end());
    indices.push_back(i);
  }
  return n;
}

std::uint64_t range_end(const DesignGrid& grid, std::uint64_t end) {
  const std::uint64_t all = grid.index_end();
  return end == 0 ? all : std::min(end, all);
}

// Runs body(b, e) on every tile of [begin, end) (tiles aligned to multiples of `tile`, clipped to the
// range), `block` indices' worth of whole tiles per work item, over `threads` workers; the calling
// thread reports progress after each of its work items.
template <class Body>
void for_tiles(std::uint64_t begin, std::uint64_t end, std::uint64_t block, std::uint64_t tile, unsigned threads,
               const std::function<void(std::uint64_t)>& progress, Body&& body) {
  if (end <= begin) return;
  if (tile == 0) throw InvalidArgument("screen: the scoring tile must be at least 1 index");
  const std::uint64_t first = begin / tile, last = (end - 1) / tile;  // tiles touched
  const std::uint64_t per_item = std::max<std::uint64_t>(1, (std::max<std::uint64_t>(block, 1) + tile - 1) / tile);
  const std::uint64_t items = (last - first) / per_item + 1;
  if (items > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
    throw InvalidArgument("screen: more than 2^31 work items; use a larger block size or split the index range");
  std::atomic<std::uint64_t> done{0};
  const auto caller = std::this_thread::get_id();
  detail::parallel_for(static_cast<int>(items), threads, [&](int k) {
    detail::SerialScope serial;
    const std::uint64_t t0 = first + static_cast<std::uint64_t>(k) * per_item, t1 = std::min(last + 1, t0 + per_item);
    std::uint64_t visited = 0;
    for (std::uint64_t t = t0; t < t1; ++t) {
      const std::uint64_t b = std::max(begin, t * tile), e = std::min(end, (t + 1) * tile);
      body(b, e);
      visited += e - b;
    }
    const std::uint64_t now = done += visited;
    if (progress && std::this_thread::get_id() == caller) progress(now);
  });
  if (progress) progress(done.load());
}

}  // namespace

ScreenResult merge_screen_results(const std::vector<ScreenResult>& parts, std::size_t k) {
  TopK top(k);
  ScreenResult out;
  for (const auto& p : parts) {
    for (const auto& h : p.top) top.offer(h);
    out.screened += p.screened;
    out.feasible += p.feasible;
  }
  out.top = top.sorted();
  return out;
}

ScreenResult screen(const Model& model, const DesignGrid& grid, const ScreenOptions& options) {
  if (options.target >= model.targets().size())
    throw InvalidArgument("screen: target index " + std::to_string(options.target) + " but the model has " +
                          std::to_string(model.targets().size()) + " targets");
  const InputMap inputs = map_inputs(model, grid.space());
  const std::uint64_t end = range_end(grid, options.end);
  const auto dim = static_cast<std::size_t>(grid.space().dimension());
  TopK top(options.top_k);
  ScreenResult result;
  std::mutex merge;
  for_tiles(options.begin, end, options.block, options.tile, options.threads, options.progress, [&](std::uint64_t b, std::uint64_t e) {
    std::vector<double> points;
    std::vector<std::uint64_t> indices;
    const BlockCounts n = collect_block(grid, b, e, points, indices);
    TopK local(options.top_k);
    if (!indices.empty()) {
      const auto pred = model.predict(block_dataset(model, inputs, points, indices.size(), dim))[options.target];
      for (std::size_t r = 0; r < indices.size(); ++r) {
        const auto i = static_cast<Eigen::Index>(r);
        const double sd = std::sqrt(std::max(pred.variance[i], 0.0));
        local.offer({indices[r], options.score(pred.mean[i], sd), pred.mean[i], sd});
      }
    }
    std::lock_guard<std::mutex> lock(merge);
    for (const auto& h : local.items()) top.offer(h);
    result.screened += n.screened;
    result.feasible += n.feasible;
  });
  result.top = top.sorted();
  return result;
}

std::uint64_t count_feasible(const DesignGrid& grid, std::uint64_t begin, std::uint64_t end, unsigned threads,
                             const std::function<void(std::uint64_t)>& progress) {
  end = range_end(grid, end);
  if (grid.exact()) return end > begin ? end - begin : 0;
  std::atomic<std::uint64_t> feasible{0};
  const auto dim = static_cast<std::size_t>(grid.space().dimension());
  for_tiles(begin, end, 1 << 16, 1 << 16, threads, progress, [&](std::uint64_t b, std::uint64_t e) {
    std::vector<double> x(dim);
    std::uint64_t n = 0;
    grid.unrank(b, x);
    for (std::uint64_t i = b; i < e; ++i) {
      if (i > b) grid.next(x);
      n += grid.is_feasible(x);
    }
    feasible += n;
  });
  return feasible.load();
}

}  // namespace matopt
