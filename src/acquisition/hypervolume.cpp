// SPDX-License-Identifier: MIT
#include "matopt/acquisition/hypervolume.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <string>

#include "matopt/acquisition/analytic.hpp"
#include "matopt/core/error.hpp"

namespace matopt {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Points are stored row-major in a flat vector, already shifted so that the reference point is the
// origin and filtered to those strictly above it in every column.
struct Points {
  int m = 0;
  std::vector<double> v;
  std::size_t size() const { return m == 0 ? 0 : v.size() / static_cast<std::size_t>(m); }
  const double* row(std::size_t i) const { return v.data() + i * static_cast<std::size_t>(m); }
};

double hv2(const Points& p) {
  const std::size_t n = p.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p.row(a)[0] > p.row(b)[0]; });
  // Sweep x downwards; each point that raises the running max of y adds a strip [0, x] x [y_max, y].
  double area = 0.0, y_max = 0.0;
  for (std::size_t i : order) {
    const double* r = p.row(i);
    if (r[1] > y_max) {
      area += r[0] * (r[1] - y_max);
      y_max = r[1];
    }
  }
  return area;
}

// 3-D: sweep z downwards keeping the 2-D staircase of the points seen so far (x ascending, y
// descending) in a balanced tree together with its area; each insertion removes the points it
// dominates and adds exactly the area it uncovers, so the whole sweep is O(n log n).
double hv3(const Points& p, std::size_t first_col = 0) {
  const std::size_t n = p.size();
  const int m = p.m;
  const std::size_t cx = first_col, cy = first_col + 1, cz = first_col + 2;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p.row(a)[cz] > p.row(b)[cz]; });
  std::map<double, double> stair;  // x -> y
  stair.emplace(0.0, kInf);        // left sentinel: nothing is uncovered left of x = 0
  stair.emplace(kInf, 0.0);        // right sentinel: the floor y = 0
  double area = 0.0, volume = 0.0, z_prev = 0.0;
  bool first = true;
  (void)m;
  for (std::size_t i : order) {
    const double* r = p.row(i);
    const double x = r[cx], y = r[cy], z = r[cz];
    if (!first) volume += area * (z_prev - z);
    first = false;
    z_prev = z;
    auto at = stair.lower_bound(x);
    if (at->second >= y) continue;  // weakly dominated in (x, y) by a point at least as high in z
    auto right = stair.upper_bound(x);
    double h = right->second, cur_x = x, added = 0.0;
    auto it = std::prev(right);
    while (it->second <= y) {  // dominated by (x, y): remove, adding the slab it no longer covers
      added += (cur_x - it->first) * (y - h);
      h = it->second;
      cur_x = it->first;
      auto left = std::prev(it);
      stair.erase(it);
      it = left;
    }
    added += (cur_x - it->first) * (y - h);
    stair.emplace_hint(right, x, y);
    area += added;
  }
  if (!first) volume += area * z_prev;
  return volume;
}

// Removes rows weakly dominated by another row (keeps one copy of duplicates).
void keep_nondominated(Points& p) {
  const std::size_t n = p.size();
  const int m = p.m;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double *ra = p.row(a), *rb = p.row(b);
    for (int k = 0; k < m; ++k)
      if (ra[k] != rb[k]) return ra[k] > rb[k];
    return false;
  });
  std::vector<double> out;
  out.reserve(p.v.size());
  std::size_t kept = 0;
  for (std::size_t i : order) {
    const double* r = p.row(i);
    bool covered = false;
    for (std::size_t j = 0; j < kept && !covered; ++j) {
      const double* q = out.data() + j * static_cast<std::size_t>(m);
      bool weak = true;
      for (int k = 0; k < m && weak; ++k) weak = q[k] >= r[k];
      covered = weak;
    }
    if (!covered) {
      out.insert(out.end(), r, r + m);
      ++kept;
    }
  }
  p.v.swap(out);
}

double hv_any(const Points& p);

// WFG: sort by the last column ascending; the exclusive contribution of point k against the later
// points is z_k * (box volume of its first m-1 columns - HV_{m-1}(limit set)), because every point of
// the limit set min(p_k, p_j), j > k, has last coordinate z_k. The limit sets bound the recursion.
double hv_wfg(const Points& p) {
  const std::size_t n = p.size();
  const int m = p.m;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return p.row(a)[m - 1] < p.row(b)[m - 1]; });
  double total = 0.0;
  Points limit;
  limit.m = m - 1;
  for (std::size_t a = 0; a < n; ++a) {
    const double* pk = p.row(order[a]);
    double box = 1.0;
    for (int k = 0; k < m - 1; ++k) box *= pk[k];
    limit.v.clear();
    for (std::size_t b = a + 1; b < n; ++b) {
      const double* pj = p.row(order[b]);
      for (int k = 0; k < m - 1; ++k) limit.v.push_back(std::min(pk[k], pj[k]));
    }
    if (limit.m > 3) keep_nondominated(limit);  // the 3-D sweep skips dominated points by itself
    total += pk[m - 1] * (box - hv_any(limit));
  }
  return total;
}

double hv_any(const Points& p) {
  const std::size_t n = p.size();
  if (n == 0) return 0.0;
  if (p.m == 1) {
    double best = 0.0;
    for (double x : p.v) best = std::max(best, x);
    return best;
  }
  if (n == 1) {
    double box = 1.0;
    for (double x : p.v) box *= x;
    return box;
  }
  if (p.m == 2) return hv2(p);
  if (p.m == 3) return hv3(p);
  return hv_wfg(p);
}

Points shift_and_filter(const Eigen::MatrixXd& points, const Eigen::VectorXd& ref) {
  if (ref.size() != points.cols())
    throw InvalidArgument("hypervolume: reference point has " + std::to_string(ref.size()) + " values but points have " +
                          std::to_string(points.cols()) + " columns");
  Points p;
  p.m = static_cast<int>(points.cols());
  p.v.reserve(static_cast<std::size_t>(points.size()));
  for (Eigen::Index k = 0; k < ref.size(); ++k)
    if (std::isnan(ref[k])) throw InvalidArgument("hypervolume: reference point has NaN in column " + std::to_string(k + 1));
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    bool above = true;
    for (Eigen::Index k = 0; k < points.cols(); ++k) {
      if (std::isnan(points(i, k)))
        throw InvalidArgument("hypervolume: point " + std::to_string(i + 1) + " has NaN in column " +
                              std::to_string(k + 1));
      above = above && points(i, k) > ref[k];
    }
    if (!above) continue;
    for (Eigen::Index k = 0; k < points.cols(); ++k) p.v.push_back(points(i, k) - ref[k]);
  }
  return p;
}

}  // namespace

double hypervolume(const Eigen::MatrixXd& points, const Eigen::VectorXd& ref) {
  if (points.cols() == 0) return 0.0;
  Points p = shift_and_filter(points, ref);
  // WFG would compute (zero) exclusive contributions for dominated points too; drop them first.
  if (p.m >= 4) keep_nondominated(p);
  return hv_any(p);
}

double hypervolume_improvement(const Eigen::MatrixXd& front, const Eigen::VectorXd& point, const Eigen::VectorXd& ref) {
  if (point.size() != ref.size() || (front.rows() > 0 && front.cols() != ref.size()))
    throw InvalidArgument("hypervolume_improvement: point, front and reference point sizes differ");
  double box = 1.0;
  for (Eigen::Index k = 0; k < ref.size(); ++k) {
    if (!(point[k] > ref[k])) return 0.0;
    box *= point[k] - ref[k];
  }
  // HV(F + y) - HV(F) = vol[ref, y] - HV({min(y, f)}): the part of y's box that F already covers.
  Eigen::MatrixXd limit(front.rows(), ref.size());
  for (Eigen::Index i = 0; i < front.rows(); ++i) limit.row(i) = front.row(i).cwiseMin(point.transpose());
  return std::max(box - hypervolume(limit, ref), 0.0);
}

NondominatedBoxes::NondominatedBoxes(const Eigen::MatrixXd& front, const Eigen::VectorXd& ref) : ref_(ref) {
  const Eigen::Index m = ref.size();
  if (m < 2 || m > 3)
    throw InvalidArgument("NondominatedBoxes: needs 2 or 3 objectives, got " + std::to_string(m));
  if (front.rows() > 0 && front.cols() != m)
    throw InvalidArgument("NondominatedBoxes: front has " + std::to_string(front.cols()) + " columns, reference point " +
                          std::to_string(m));
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < front.rows(); ++i) {
    bool above = true;
    for (Eigen::Index k = 0; k < m; ++k) above = above && front(i, k) > ref[k];
    if (above) rows.push_back(i);
  }
  // Grid of the first m-1 columns: ref, the sorted distinct coordinates, +inf. Column cell c spans
  // [grid[c], grid[c+1]]; over it the dominated region reaches up to the largest last coordinate of
  // the points whose first m-1 coordinates all reach the cell's upper corner.
  grid_.assign(static_cast<std::size_t>(m - 1), {});
  for (Eigen::Index k = 0; k + 1 < m; ++k) {
    auto& g = grid_[static_cast<std::size_t>(k)];
    g.push_back(ref[k]);
    for (Eigen::Index i : rows) g.push_back(front(i, k));
    std::sort(g.begin() + 1, g.end());
    g.erase(std::unique(g.begin() + 1, g.end()), g.end());
    g.push_back(kInf);
  }
  const std::size_t nx = grid_[0].size() - 1;
  const std::size_t ny = m == 3 ? grid_[1].size() - 1 : 1;
  std::vector<double> top(nx * ny, ref[m - 1]);
  for (Eigen::Index i : rows) {
    // The point covers every cell whose upper corner it reaches: cells 0..a-1 where grid[a] is its x.
    const auto a = static_cast<std::size_t>(std::lower_bound(grid_[0].begin(), grid_[0].end(), front(i, 0)) - grid_[0].begin());
    std::size_t b = 1;
    if (m == 3) b = static_cast<std::size_t>(std::lower_bound(grid_[1].begin(), grid_[1].end(), front(i, 1)) - grid_[1].begin());
    double& t = top[(a - 1) * ny + (b - 1)];
    t = std::max(t, front(i, m - 1));
  }
  // Suffix maxima: a cell is covered by every point at or beyond it in each column.
  for (std::size_t a = nx; a-- > 0;)
    for (std::size_t b = ny; b-- > 0;) {
      double& t = top[a * ny + b];
      if (a + 1 < nx) t = std::max(t, top[(a + 1) * ny + b]);
      if (b + 1 < ny) t = std::max(t, top[a * ny + b + 1]);
    }
  last_grid_ = top;
  std::sort(last_grid_.begin(), last_grid_.end());
  last_grid_.erase(std::unique(last_grid_.begin(), last_grid_.end()), last_grid_.end());
  const std::size_t nb = nx * ny;
  lower_.resize(static_cast<Eigen::Index>(nb), m);
  upper_.resize(static_cast<Eigen::Index>(nb), m);
  cell_.resize(nb * static_cast<std::size_t>(m));
  for (std::size_t a = 0; a < nx; ++a)
    for (std::size_t b = 0; b < ny; ++b) {
      const std::size_t box = a * ny + b;
      const auto r = static_cast<Eigen::Index>(box);
      const std::size_t cols[2] = {a, b};
      for (Eigen::Index k = 0; k + 1 < m; ++k) {
        const std::size_t c = cols[k];
        lower_(r, k) = grid_[static_cast<std::size_t>(k)][c];
        upper_(r, k) = grid_[static_cast<std::size_t>(k)][c + 1];
        cell_[box * static_cast<std::size_t>(m) + static_cast<std::size_t>(k)] = static_cast<int>(c);
      }
      const double t = top[box];
      lower_(r, m - 1) = t;
      upper_(r, m - 1) = kInf;
      cell_[box * static_cast<std::size_t>(m) + static_cast<std::size_t>(m - 1)] =
          static_cast<int>(std::lower_bound(last_grid_.begin(), last_grid_.end(), t) - last_grid_.begin());
    }
}

double NondominatedBoxes::improvement(const Eigen::Ref<const Eigen::VectorXd>& y) const noexcept {
  const Eigen::Index m = ref_.size();
  double total = 0.0;
  for (Eigen::Index r = 0; r < lower_.rows(); ++r) {
    double v = 1.0;
    for (Eigen::Index k = 0; k < m && v > 0.0; ++k) v *= std::min(y[k], upper_(r, k)) - lower_(r, k);
    if (v > 0.0) total += v;
  }
  return total;
}

double NondominatedBoxes::log_expected_improvement(const Eigen::Ref<const Eigen::VectorXd>& mean,
                                                   const Eigen::Ref<const Eigen::VectorXd>& sd) const {
  const Eigen::Index m = ref_.size();
  if (mean.size() != m || sd.size() != m)
    throw InvalidArgument("NondominatedBoxes: mean/sd size differs from the number of objectives");
  // log E[(Y - c)^+] at grid value c; the factor of a column cell [l, u] is
  // E[(min(Y, u) - l)^+] = E[(Y - l)^+] - E[(Y - u)^+], taken in log space.
  auto log_g = [](double mu, double s, double log_s, double c) {
    if (c == kInf) return -kInf;
    if (!(s > 0.0)) return mu > c ? std::log(mu - c) : -kInf;
    return log_s + log_h((mu - c) / s);
  };
  auto log_diff = [](double la, double lb) {  // log(exp(la) - exp(lb)), la >= lb
    if (lb == -kInf) return la;
    if (!(la > lb)) return -kInf;
    return la + log1mexp(lb - la);
  };
  // Scratch space reused across calls (this is evaluated once per candidate of large pools).
  thread_local std::vector<double> col_factor[2], lg, top_factor, terms;
  for (Eigen::Index k = 0; k + 1 < m; ++k) {
    const auto& g = grid_[static_cast<std::size_t>(k)];
    lg.resize(g.size());
    const double log_s = std::log(sd[k]);
    for (std::size_t c = 0; c < g.size(); ++c) lg[c] = log_g(mean[k], sd[k], log_s, g[c]);
    auto& f = col_factor[k];
    f.resize(g.size() - 1);
    for (std::size_t c = 0; c + 1 < g.size(); ++c) f[c] = log_diff(lg[c], lg[c + 1]);
  }
  top_factor.resize(last_grid_.size());
  const double log_s_top = std::log(sd[m - 1]);
  for (std::size_t c = 0; c < last_grid_.size(); ++c) top_factor[c] = log_g(mean[m - 1], sd[m - 1], log_s_top, last_grid_[c]);
  const std::size_t nb = static_cast<std::size_t>(lower_.rows());
  terms.resize(nb);
  double best = -kInf;
  for (std::size_t b = 0; b < nb; ++b) {
    const int* cell = cell_.data() + b * static_cast<std::size_t>(m);
    double t = top_factor[static_cast<std::size_t>(cell[m - 1])];
    for (Eigen::Index k = 0; k + 1 < m; ++k) t += col_factor[k][static_cast<std::size_t>(cell[k])];
    terms[b] = t;
    best = std::max(best, t);
  }
  if (best == -kInf) return -kInf;
  double sum = 0.0;
  for (double t : terms) sum += std::exp(t - best);
  return best + std::log(sum);
}

double NondominatedBoxes::expected_improvement(const Eigen::Ref<const Eigen::VectorXd>& mean,
                                               const Eigen::Ref<const Eigen::VectorXd>& sd) const {
  return std::exp(log_expected_improvement(mean, sd));
}

double expected_hypervolume_improvement(const Eigen::MatrixXd& front, const Eigen::VectorXd& ref,
                                        const Eigen::VectorXd& mean, const Eigen::VectorXd& sd) {
  return NondominatedBoxes(front, ref).expected_improvement(mean, sd);
}

}  // namespace matopt
