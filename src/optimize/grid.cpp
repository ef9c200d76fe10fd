// SPDX-License-Identifier: MIT
#include "matopt/optimize/grid.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "matopt/core/error.hpp"
#include "optimize/space_detail.hpp"

namespace matopt {

namespace {

constexpr GridCount kMaxCount = ~GridCount{0};

// Saturating sum: a grid whose count does not fit is refused, never wrapped.
GridCount add(GridCount a, GridCount b, bool& overflow) {
  if (a > kMaxCount - b) {
    overflow = true;
    return kMaxCount;
  }
  return a + b;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

std::string to_string_count(GridCount count) {
  if (count == 0) return "0";
  std::string s;
  while (count > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(count % 10)));
    count /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

std::vector<double> default_grid_values(const ProcessParameter& p) {
  std::vector<double> out;
  if (p.kind == ParameterKind::Categorical) {
    for (std::size_t c = 0; c < p.categories.size(); ++c) out.push_back(static_cast<double>(c));
  } else if (p.kind == ParameterKind::Integer && std::floor(p.upper) - std::ceil(p.lower) < 1000) {
    for (double v = std::ceil(p.lower); v <= p.upper; ++v) out.push_back(v);
  } else {
    throw InvalidArgument("process parameter '" + p.name + "' needs grid values (it is " +
                          (p.kind == ParameterKind::Integer ? "an integer with more than 1000 values" : "continuous") +
                          "): state them, e.g. `matopt screen --grid " + p.name + "=lower:upper:count`");
  }
  return out;
}

ProcessGrid default_process_grid(const DesignSpace& space) {
  ProcessGrid g;
  for (const auto& p : space.spec().process) g.values.push_back(default_grid_values(p));
  return g;
}

void check_grid_fits(const DesignGrid& grid, std::uint64_t max_points) {
  if (grid.size() > GridCount{max_points})
    throw InvalidArgument("the design grid has " + to_string_count(grid.size()) + " points, more than the " +
                          std::to_string(max_points) + " that are scored as a candidate pool; rank the whole grid with "
                          "`matopt screen` (bounded memory, any size, MPI)");
}

Eigen::MatrixXd feasible_grid_points(const DesignGrid& grid, std::uint64_t max_points) {
  check_grid_fits(grid, max_points);
  const std::uint64_t n = grid.index_end();
  const auto d = static_cast<Eigen::Index>(grid.space().dimension());
  Eigen::MatrixXd out(static_cast<Eigen::Index>(n), d);
  Eigen::VectorXd x;
  Eigen::Index rows = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (i == 0) grid.unrank(0, x);
    else grid.next(x);
    if (grid.is_feasible(x)) out.row(rows++) = x.transpose();
  }
  out.conservativeResize(rows, Eigen::NoChange);
  return out;
}

DesignGrid::DesignGrid(const DesignSpace& space, ProcessGrid process) : space_(&space), process_(std::move(process)) {
  const auto& spec = space.spec();
  if (space.has_pool())
    throw InvalidArgument("candidate_pool: a space with a candidate pool is screened by `propose`; remove the pool to "
                          "enumerate the grid");
  n_ = space.num_elements();
  if (n_ > 0 && !(spec.composition.granularity > 0.0))
    throw InvalidArgument("composition.granularity: enumerating the composition grid needs a granularity (e.g. 0.01)");
  check_process_grid();
  build_counts();
  exact_ = spec.linear_constraints.empty() && spec.descriptor_constraints.empty();
  for (const auto& lc : spec.linear_constraints) {
    std::vector<std::pair<int, double>> terms;
    for (std::size_t t = 0; t < lc.names.size(); ++t) terms.emplace_back(space.coordinate_index(lc.names[t]), lc.coefficients[t]);
    linear_.push_back(std::move(terms));
  }
}

void DesignGrid::check_process_grid() {
  const auto& params = space_->spec().process;
  if (process_.values.size() != params.size())
    throw InvalidArgument("process grid: expected values for " + std::to_string(params.size()) + " process parameters, got " +
                          std::to_string(process_.values.size()));
  bool overflow = false;
  for (std::size_t j = 0; j < params.size(); ++j) {
    const auto& p = params[j];
    const auto& vals = process_.values[j];
    if (vals.empty()) throw InvalidArgument("process grid: no values for '" + p.name + "'");
    for (double v : vals) {
      const bool in_domain = p.kind == ParameterKind::Categorical
                                 ? (v >= 0 && v < static_cast<double>(p.categories.size()) && v == std::floor(v))
                                 : (std::isfinite(v) && v >= p.lower && v <= p.upper &&
                                    (p.kind != ParameterKind::Integer || v == std::floor(v)));
      if (!in_domain) throw InvalidArgument("process grid: value " + fmt(v) + " of '" + p.name + "' is outside its domain");
    }
    const auto k = static_cast<std::uint64_t>(vals.size());
    if (combinations_ > std::numeric_limits<std::uint64_t>::max() / k) overflow = true;
    combinations_ *= k;
  }
  if (overflow) throw InvalidArgument("process grid: more than 2^64 combinations of process values");
}

void DesignGrid::build_counts() {
  if (n_ == 0) {
    compositions_ = 1;
    return;
  }
  const auto& els = space_->spec().composition.elements;
  units_ = detail::grid_units(*space_);
  max_k_ = space_->max_components();
  lo_.resize(n_);
  hi_.resize(n_);
  zero_ok_.resize(n_);
  for (int i = 0; i < n_; ++i) {
    lo_[i] = std::max(1, detail::lo_units(els[i], units_));
    hi_[i] = std::min(units_, detail::hi_units(els[i], units_));
    zero_ok_[i] = !els[i].required;
  }
  const std::size_t per = static_cast<std::size_t>(units_ + 1) * (max_k_ + 1);
  ways_.assign((n_ + 1) * per, 0);
  for (int k = 0; k <= max_k_; ++k) ways_[static_cast<std::size_t>(n_) * per + k] = 1;  // u = 0 completes
  bool overflow = false;
  std::vector<GridCount> prefix(units_ + 2);  // prefix[m + 1] = sum of ways(i + 1, w, k - 1) for w <= m
  for (int i = n_ - 1; i >= 0; --i) {
    for (int k = 0; k <= max_k_; ++k) {
      if (k > 0) {
        prefix[0] = 0;
        for (int w = 0; w <= units_; ++w) prefix[w + 1] = add(prefix[w], ways(i + 1, w, k - 1), overflow);
      }
      for (int u = 0; u <= units_; ++u) {
        GridCount c = zero_ok_[i] ? ways(i + 1, u, k) : 0;
        if (k > 0 && u >= lo_[i]) {
          const int top = u - lo_[i], bottom = u - std::min(hi_[i], u);  // w = u - v for v in [lo, min(hi, u)]
          if (bottom <= top) c = add(c, prefix[top + 1] - prefix[bottom], overflow);
        }
        ways_[(static_cast<std::size_t>(i) * (units_ + 1) + u) * (max_k_ + 1) + k] = c;
      }
    }
  }
  compositions_ = ways(0, units_, max_k_);
  if (overflow || (combinations_ > 1 && compositions_ > kMaxCount / combinations_))
    throw InvalidArgument("the grid has more than 3.4e38 points; use a coarser granularity or fewer elements");
}

std::uint64_t DesignGrid::index_end() const {
  if (size() > std::numeric_limits<std::uint64_t>::max())
    throw InvalidArgument("the grid has " + to_string_count(size()) + " points, more than 2^64 - 1 can be enumerated");
  return static_cast<std::uint64_t>(size());
}

int DesignGrid::units_of(double fraction, int element) const {
  const double u = fraction * units_;
  const double r = std::round(u);
  if (!(std::abs(u - r) <= 1e-6))
    throw InvalidArgument("grid rank: fraction " + fmt(fraction) + " of " + space_->spec().composition.elements[element].symbol +
                          " is not a multiple of the granularity");
  return static_cast<int>(r);
}

// Lexicographically smallest completion of elements from..n-1 with `units` left and at most k
// non-zero fractions (one exists: the caller checked ways(from, units, k) > 0).
void DesignGrid::smallest_completion(int from, int units, int k, std::span<double> point) const {
  for (int i = from; i < n_; ++i) {
    int v = 0;
    if (!(zero_ok_[i] && ways(i + 1, units, k) > 0)) {
      v = lo_[i];
      while (v <= std::min(hi_[i], units) && ways(i + 1, units - v, k - 1) == 0) ++v;
    }
    point[i] = static_cast<double>(v) / units_;
    units -= v;
    k -= v > 0;
  }
}

void DesignGrid::unrank_composition(GridCount r, std::span<double> point) const {
  int units = units_, k = max_k_;
  for (int i = 0; i < n_; ++i) {
    int v = -1;
    if (zero_ok_[i]) {
      const GridCount c = ways(i + 1, units, k);
      if (r < c) v = 0;
      else r -= c;
    }
    for (int w = lo_[i]; v < 0 && k > 0 && w <= std::min(hi_[i], units); ++w) {
      const GridCount c = ways(i + 1, units - w, k - 1);
      if (r < c) v = w;
      else r -= c;
    }
    point[i] = static_cast<double>(v) / units_;
    units -= v;
    k -= v > 0;
  }
}

void DesignGrid::unrank(std::uint64_t index, std::span<double> point) const {
  if (point.size() != static_cast<std::size_t>(space_->dimension()))
    throw InvalidArgument("grid unrank: expected a point of " + std::to_string(space_->dimension()) + " values");
  if (GridCount{index} >= size())
    throw InvalidArgument("grid unrank: index " + std::to_string(index) + " is past the last grid point (" +
                          to_string_count(size()) + " points)");
  std::uint64_t proc = index % combinations_;
  if (n_ > 0) unrank_composition(GridCount{index / combinations_}, point);
  for (int j = static_cast<int>(process_.values.size()) - 1; j >= 0; --j) {
    const auto& vals = process_.values[j];
    point[n_ + j] = vals[proc % vals.size()];
    proc /= vals.size();
  }
}

std::uint64_t DesignGrid::rank(std::span<const double> point) const {
  if (point.size() != static_cast<std::size_t>(space_->dimension()))
    throw InvalidArgument("grid rank: expected a point of " + std::to_string(space_->dimension()) + " values");
  GridCount r = 0;
  int units = units_, k = max_k_;
  const auto& els = space_->spec().composition.elements;
  for (int i = 0; i < n_; ++i) {
    const int v = units_of(point[i], i);
    const bool allowed = v == 0 ? zero_ok_[i] != 0 : (v >= lo_[i] && v <= hi_[i] && k > 0 && v <= units);
    if (!allowed) throw InvalidArgument("grid rank: fraction " + fmt(point[i]) + " of " + els[i].symbol + " is not on the grid here");
    if (v > 0 && zero_ok_[i]) r += ways(i + 1, units, k);
    for (int w = lo_[i]; w < v; ++w) r += ways(i + 1, units - w, k - 1);
    units -= v;
    k -= v > 0;
  }
  if (n_ > 0 && units != 0) throw InvalidArgument("grid rank: the fractions do not sum to 1");
  std::uint64_t proc = 0;
  for (std::size_t j = 0; j < process_.values.size(); ++j) {
    const auto& vals = process_.values[j];
    const auto at = std::find(vals.begin(), vals.end(), point[n_ + j]);
    if (at == vals.end())
      throw InvalidArgument("grid rank: value " + fmt(point[n_ + j]) + " of '" + space_->spec().process[j].name +
                            "' is not on the process grid");
    proc = proc * vals.size() + static_cast<std::uint64_t>(at - vals.begin());
  }
  const GridCount index = r * combinations_ + proc;
  if (index > std::numeric_limits<std::uint64_t>::max()) throw InvalidArgument("grid rank: the index exceeds 2^64 - 1");
  return static_cast<std::uint64_t>(index);
}

// The next composition in lexicographic order: the rightmost element (but the last, which the
// remainder fixes) that can grow while the rest can still be completed grows to its next value, and
// the elements after it take their smallest completion.
bool DesignGrid::next_composition(std::span<double> point) const {
  std::vector<int> units_before(n_ + 1), k_before(n_ + 1);  // units and components left before element i
  std::vector<int> v(n_);
  units_before[0] = units_;
  k_before[0] = max_k_;
  for (int i = 0; i < n_; ++i) {
    v[i] = static_cast<int>(std::lround(point[i] * units_));
    units_before[i + 1] = units_before[i] - v[i];
    k_before[i + 1] = k_before[i] - (v[i] > 0);
  }
  for (int i = n_ - 2; i >= 0; --i) {
    const int units = units_before[i], k = k_before[i];
    if (k == 0) continue;
    for (int w = std::max(v[i] + 1, lo_[i]); w <= std::min(hi_[i], units); ++w) {
      if (ways(i + 1, units - w, k - 1) == 0) continue;
      point[i] = static_cast<double>(w) / units_;
      smallest_completion(i + 1, units - w, k - 1, point);
      return true;
    }
  }
  return false;
}

bool DesignGrid::next(std::span<double> point) const {
  for (int j = static_cast<int>(process_.values.size()) - 1; j >= 0; --j) {
    const auto& vals = process_.values[j];
    const auto at = std::find(vals.begin(), vals.end(), point[n_ + j]);
    const auto pos = static_cast<std::size_t>(at - vals.begin());
    if (pos + 1 < vals.size()) {
      point[n_ + j] = vals[pos + 1];
      return true;
    }
    point[n_ + j] = vals[0];
  }
  return n_ > 0 && next_composition(point);
}

bool DesignGrid::is_feasible(std::span<const double> point) const {
  const auto& lcs = space_->spec().linear_constraints;
  for (std::size_t c = 0; c < linear_.size(); ++c) {
    double lhs = 0.0;
    for (const auto& [idx, coef] : linear_[c]) lhs += coef * point[idx];
    if (lhs > lcs[c].upper + 1e-9 * std::max(1.0, std::abs(lcs[c].upper))) return false;
  }
  return space_->satisfies_descriptor_constraints(point.first(static_cast<std::size_t>(n_)));
}

}  // namespace matopt
